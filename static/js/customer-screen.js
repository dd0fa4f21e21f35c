// The customer-facing screen: what the till shows the customer (lines, total, the VietQR to pay, thanks).
// Fed by the till window of the same browser through a BroadcastChannel; it asks the server nothing.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const fmt = (n) => `${String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".")} ₫`;
  if (!("BroadcastChannel" in window)) {
    $("customer-lines").textContent = "Trình duyệt này không hỗ trợ màn hình khách.";
    return;
  }
  const channel = new BroadcastChannel("pos-customer");
  function show(view) {
    for (const id of ["customer-cart", "customer-qr", "customer-thanks"]) $(id).classList.toggle("hidden", id !== view);
  }
  channel.addEventListener("message", (event) => {
    const msg = event.data || {};
    if (msg.type === "cart") {
      const rows = msg.cart.lines.map((line) => {
        const li = document.createElement("li");
        const name = document.createElement("span");
        name.textContent = `${line.qty} × ${line.name}`;
        const amount = document.createElement("strong");
        amount.textContent = fmt(line.total_vnd);
        li.append(name, amount);
        return li;
      });
      $("customer-lines").replaceChildren(...rows);
      $("customer-total").textContent = fmt(msg.cart.total_vnd);
      // A new customer's first item replaces the thanks; an empty cart right after a sale leaves them up.
      if (msg.cart.lines.length || $("customer-thanks").classList.contains("hidden")) show("customer-cart");
    } else if (msg.type === "qr") {
      // Drawn by our server from the bank account and the amount only: safe to insert as markup.
      $("customer-qr-image").innerHTML = msg.svg;
      $("customer-qr-amount").textContent = fmt(msg.amount_vnd);
      $("customer-qr-account").textContent = `${msg.account} · ${msg.account_name}`;
      show("customer-qr");
    } else if (msg.type === "done") {
      $("customer-thanks-total").textContent = fmt(msg.total_vnd);
      $("customer-thanks-change").textContent = msg.change_vnd ? `Tiền thừa: ${fmt(msg.change_vnd)}` : "";
      show("customer-thanks");
    }
  });
})();
