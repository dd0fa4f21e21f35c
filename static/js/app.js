// Shared behaviour for every page: dangerous actions (forms with data-confirm) are confirmed in a page dialog,
// in Vietnamese and by keyboard (Enter agrees, Esc goes back), never the browser's own confirm().
(() => {
  let dialog = null;

  function confirmDialog() {
    if (dialog) return dialog;
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-question");
    dialog.innerHTML =
      '<form method="dialog"><p id="confirm-question"></p><div class="actions">' +
      '<button value="yes" class="primary" id="confirm-yes">Đồng ý <kbd>Enter</kbd></button>' +
      '<button value="no" id="confirm-no">Quay lại <kbd>Esc</kbd></button></div></form>';
    document.body.append(dialog);
    return dialog;
  }

  // The page's own yes/no question for scripts (till, intake): resolves true when the person agrees.
  window.posConfirm = (question) =>
    new Promise((resolve) => {
      const box = confirmDialog();
      box.querySelector("#confirm-question").textContent = question;
      box.returnValue = "";
      box.onclose = () => resolve(box.returnValue === "yes");
      box.showModal();
      box.querySelector("#confirm-yes").focus();
    });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    const question = form.getAttribute("data-confirm");
    if (!question) return;
    if (form.dataset.confirmed === "1") {
      delete form.dataset.confirmed;
      return;
    }
    event.preventDefault();
    const submitter = event.submitter || null;
    window.posConfirm(question).then((yes) => {
      if (!yes) return;
      form.dataset.confirmed = "1";
      form.requestSubmit(submitter && submitter.form === form ? submitter : undefined);
    });
  });

  // Amounts read as people write them while they type: 500000 -> 500.000 (caret kept after the same digit).
  document.addEventListener("input", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-money")) return;
    const raw = input.value;
    if (!/^[\d.\s]*$/.test(raw)) return; // something else typed: left as is, the server explains
    const caret = input.selectionStart ?? raw.length;
    const digitsBefore = raw.slice(0, caret).replace(/\D/g, "").length;
    const digits = raw.replace(/\D/g, "").replace(/^0+(?=\d)/, "");
    const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    if (grouped === raw) return;
    input.value = grouped;
    let seen = 0;
    let at = 0;
    while (at < grouped.length && seen < digitsBefore) {
      if (/\d/.test(grouped[at])) seen += 1;
      at += 1;
    }
    input.setSelectionRange(at, at);
  });

  // Menu groups (Kho hàng ▾, Thêm ▾) open on hover, tap and Tab by CSS alone (focus-within); this adds what a
  // keyboard or a screen reader expects: aria-expanded, ↓ into the group, Esc closes it back to its button.
  document.querySelectorAll(".navgroup").forEach((group) => {
    const toggle = group.querySelector(".navgroup-toggle");
    const links = () => [...group.querySelectorAll(".navgroup-menu a")];
    const sync = () => {
      const open = group.matches(":focus-within, :hover") && !group.classList.contains("is-shut");
      toggle.setAttribute("aria-expanded", String(open));
    };
    group.addEventListener("focusin", (event) => {
      if (event.target !== toggle) group.classList.remove("is-shut");
      sync();
    });
    group.addEventListener("focusout", () => setTimeout(sync));
    group.addEventListener("mouseenter", () => {
      group.classList.remove("is-shut");
      sync();
    });
    group.addEventListener("mouseleave", sync);
    group.addEventListener("keydown", (event) => {
      const items = links();
      const at = items.indexOf(document.activeElement);
      if (event.key === "Escape") {
        group.classList.add("is-shut");
        toggle.focus();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        group.classList.remove("is-shut");
        const step = event.key === "ArrowDown" ? 1 : -1;
        items[(at + step + items.length + (at < 0 && step < 0 ? 1 : 0)) % items.length]?.focus();
      } else {
        return;
      }
      sync();
    });
  });
})();
