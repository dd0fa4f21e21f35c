// Shared behaviour for every page: confirm dangerous actions (data-confirm), autofocus helpers.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
