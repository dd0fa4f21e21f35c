// The till's printing: the receipt printed without a new tab (the server's ESC/POS queue, or this browser's
// print from a hidden frame), the print queue with retry and reprint, and the customer-facing screen.
// till.js calls window.posTill.onCart / onQr / onDone; everything else about printing lives here.
(() => {
  "use strict";

  const panel = document.getElementById("print-queue");
  if (!panel) return;
  const $ = (id) => document.getElementById(id);
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const queueUrl = panel.dataset.queue;
  const channel = "BroadcastChannel" in window ? new BroadcastChannel("pos-customer") : null;
  let frame = null;
  let timer = null;

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  // --- printing from this browser (a till without an ESC/POS printer) -----------------------------------

  function printInFrame(url) {
    // A hidden frame of our own origin: print() there prints the receipt alone, with no tab to close.
    // With Chromium/Edge started with --kiosk-printing it goes straight to the default printer.
    if (!frame) {
      frame = el("iframe", { id: "print-frame", title: "In hóa đơn", "aria-hidden": "true", tabindex: "-1" });
      frame.className = "print-frame";
      document.body.append(frame);
    }
    frame.src = url;
  }

  // --- the queue ----------------------------------------------------------------------------------------

  async function post(url) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
      credentials: "same-origin",
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || "Không thực hiện được.");
    return data;
  }

  function jobRow(job) {
    const actions = el("span", { class: "job-actions" });
    if (job.can_retry) {
      const button = el("button", { type: "button", text: "In ngay", "data-retry": job.id });
      actions.append(button);
    }
    if (job.can_reprint) {
      actions.append(el("button", { type: "button", text: "In lại (bản sao)", "data-reprint": job.id }));
    }
    const label = `${job.kind} ${job.ref}${job.copy ? " (bản sao)" : ""}`;
    return el("li", { class: `job job-${job.state}` }, [
      el("span", { class: "job-label", text: label }),
      el("span", { class: `badge ${job.state === "printed" ? "ok" : job.state === "failed" ? "danger" : "warn"}`, text: job.state_label }),
      el("span", { class: "job-error", text: job.state === "failed" ? job.error : "" }),
      actions,
    ]);
  }

  async function refresh() {
    clearTimeout(timer);
    let data = null;
    try {
      const response = await fetch(queueUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) data = await response.json();
    } catch (err) {
      data = null;
    }
    if (data) {
      $("print-till").textContent = data.till.name;
      const summary = data.unprinted ? `${data.unprinted} lệnh chưa in` : "Đã in hết";
      $("print-summary").textContent = data.till.escpos ? summary : "In bằng trình duyệt";
      $("print-summary").className = `badge ${data.unprinted ? "danger" : "ok"}`;
      $("print-error").textContent = data.unprinted && data.last_error ? data.last_error : "";
      $("print-jobs").replaceChildren(...data.jobs.map(jobRow));
      panel.classList.toggle("has-trouble", data.unprinted > 0);
    }
    // Watch closely while something waits, lightly otherwise (a printer switched on prints by itself).
    timer = setTimeout(refresh, data && data.unprinted ? 2000 : 15000);
  }

  panel.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-retry], button[data-reprint]");
    if (!button) return;
    button.disabled = true;
    try {
      if (button.dataset.retry) await post(`${panel.dataset.jobs}/${button.dataset.retry}/retry`);
      else await post(`${panel.dataset.jobs}/${button.dataset.reprint}/reprint`);
    } catch (err) {
      $("print-error").textContent = err.message;
    }
    refresh();
    const scan = $("scan");
    if (scan) scan.focus();
  });

  const xButton = $("print-x-report");
  if (xButton) {
    xButton.addEventListener("click", async () => {
      xButton.disabled = true;
      try {
        await post(xButton.dataset.url);
      } catch (err) {
        $("print-error").textContent = err.message;
      }
      xButton.disabled = false;
      refresh();
      const scan = $("scan");
      if (scan) scan.focus();
    });
  }

  // --- the drawer opened without a sale (a reason; a manager's credentials when a cashier asks) -----------

  const drawerButton = $("open-drawer");
  const drawerDialog = $("drawer-dialog");
  if (drawerButton && drawerDialog) {
    const form = $("drawer-form");
    const error = $("drawer-error");
    drawerButton.addEventListener("click", () => {
      form.reset();
      error.classList.add("hidden");
      drawerDialog.showModal();
      $("drawer-reason").focus();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const submit = form.querySelector('button[type="submit"]');
      submit.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          headers: { "X-CSRFToken": csrfToken, Accept: "application/json" },
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
        });
        const data = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(data.error || "Không mở được két.");
        drawerDialog.close();
        await refresh();
        // The queue's own error (a printer off) wins; otherwise say it went, until the next poll.
        if (!$("print-error").textContent) $("print-error").textContent = "Đã gửi lệnh mở két.";
      } catch (err) {
        error.textContent = err.message;
        error.classList.remove("hidden");
      } finally {
        submit.disabled = false;
      }
    });
  }

  // --- the customer screen (a second monitor: a window of this browser, told through a channel) ---------

  const customerButton = $("open-customer-screen");
  if (customerButton) {
    customerButton.addEventListener("click", () => {
      window.open(customerButton.dataset.url, "pos-customer", "popup,width=1024,height=768");
      if (cartSeen) tell({ type: "cart", cart: cartSeen });
      const scan = $("scan");
      if (scan) scan.focus();
    });
  }
  let cartSeen = null;

  function tell(message) {
    if (channel) channel.postMessage(message);
  }

  window.posTill = {
    onCart(cart) {
      cartSeen = {
        lines: cart.lines.map((line) => ({ name: line.name, qty: line.qty, total_vnd: line.total_vnd })),
        total_vnd: cart.total_vnd,
      };
      tell({ type: "cart", cart: cartSeen });
    },
    onQr(data) {
      // The VietQR to pay, shown to the customer before payment (never printed on the receipt afterwards).
      if (data) tell({ type: "qr", svg: data.svg, amount_vnd: data.amount_vnd, account: data.account, account_name: data.account_name });
    },
    onDone(data) {
      tell({ type: "done", receipt_number: data.receipt_number, change_vnd: data.change_vnd, total_vnd: data.total_vnd });
      const print = data.print || {};
      if (print.mode === "browser") printInFrame(print.url);
      refresh();
    },
  };

  refresh();
})();
