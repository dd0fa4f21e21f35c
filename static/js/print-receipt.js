// Print as soon as the receipt image has loaded, then tell the till (this page sits in its hidden frame).
(function () {
  "use strict";
  const img = document.getElementById("receipt");
  function go() {
    window.print();
    if (window.parent !== window) window.parent.postMessage({ type: "pos-printed", src: img.src }, location.origin);
  }
  if (img.complete && img.naturalWidth) go();
  else img.addEventListener("load", go, { once: true });
})();
