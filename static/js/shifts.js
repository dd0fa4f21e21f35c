// Shift pages: drawer count totals with Enter to the next note, return refund preview, money formatting.
(() => {
  const vnd = (n) => `${n < 0 ? "-" : ""}${String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".")} ₫`;
  const whole = (text) => {
    const digits = String(text || "").replace(/[.\s]/g, "");
    return /^\d+$/.test(digits) ? Number(digits) : 0;
  };

  // Amounts are grouped as they are typed (data-money, static/js/app.js).

  // Drawer count: a running total per note and overall; Enter moves to the next note, the last one submits.
  const countForm = document.getElementById("count-form");
  if (countForm) {
    const inputs = Array.from(countForm.querySelectorAll("input.count"));
    const total = document.getElementById("counted-total");
    const refresh = () => {
      let sum = 0;
      inputs.forEach((input) => {
        const amount = Number(input.dataset.note) * whole(input.value);
        sum += amount;
        input.closest("tr").querySelector("[data-line-total]").textContent = vnd(amount);
      });
      total.textContent = vnd(sum);
    };
    inputs.forEach((input, i) => {
      input.addEventListener("input", refresh);
      input.addEventListener("focus", () => input.select());
      input.addEventListener("keydown", (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();
        if (i + 1 < inputs.length) inputs[i + 1].focus();
        else countForm.requestSubmit();
      });
    });
    refresh();
  }

  // Return: the refund each quantity gives, as the server computes it (running share of the line total).
  const returnForm = document.getElementById("return-form");
  if (returnForm) {
    const inputs = Array.from(returnForm.querySelectorAll("input.qty"));
    const total = document.getElementById("refund-total");
    const refresh = () => {
      let sum = 0;
      inputs.forEach((input) => {
        const d = input.dataset;
        const max = Number(input.max);
        const qty = Math.min(Math.max(whole(input.value), 0), max);
        const amount = qty
          ? Math.floor((Number(d.total) * (Number(d.returned) + qty)) / Number(d.sold)) - Number(d.refunded)
          : 0;
        sum += amount;
        input.closest("tr").querySelector("[data-refund]").textContent = vnd(amount);
      });
      total.textContent = vnd(sum);
    };
    inputs.forEach((input) => input.addEventListener("input", refresh));
    returnForm.querySelectorAll("button[data-fill]").forEach((button) => {
      button.addEventListener("click", () => {
        const input = button.closest("td").querySelector("input.qty");
        input.value = button.dataset.fill;
        refresh();
        input.focus();
      });
    });
    refresh();
  }

  // A confirmed return is sent once: the button is disabled as the form leaves.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]").forEach((b) => {
        b.disabled = true;
      });
    });
  });

  // Keyboard first: the main field has focus as soon as the script runs (autofocus alone can come late).
  const first = document.querySelector("main [autofocus]");
  if (first && document.activeElement !== first) first.focus();
})();
