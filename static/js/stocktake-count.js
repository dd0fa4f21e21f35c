// Counting with a scanner: each scan is sent without leaving the page, so a fast scanner never types into a
// page that is reloading. Scans queue up and go one by one; the counted list is refreshed after each.
(() => {
  const form = document.getElementById("count-form");
  if (!form || !window.fetch) return;
  const code = document.getElementById("count-code");
  const qty = document.getElementById("count-qty");
  const message = document.getElementById("count-message");
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const queue = [];
  let busy = false;

  const show = (text, isError) => {
    message.hidden = false;
    message.className = isError ? "flash flash-error" : "flash flash-success";
    message.textContent = text;
  };

  const refresh = async () => {
    const response = await fetch(window.location.pathname, { headers: { Accept: "text/html" } });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("counted");
    const counted = document.getElementById("counted");
    if (fresh && counted) counted.replaceWith(fresh);
  };

  const send = async (item) => {
    const body = new FormData();
    body.set("csrf_token", token);
    body.set("code", item.code);
    body.set("qty", item.qty);
    let response;
    let data;
    try {
      response = await fetch(form.action, { method: "POST", body, headers: { Accept: "application/json" } });
      data = await response.json();
    } catch (error) {
      show(`Mất kết nối với máy chủ: quét lại mã ${item.code}.`, true);
      return true;
    }
    if (response.ok) {
      show(data.message, false);
      return true;
    }
    if (data.lots) {
      // Several lots: the page itself asks which one, with a button per lot.
      queue.length = 0;
      code.value = item.code;
      qty.value = item.qty;
      form.submit();
      return false;
    }
    show(data.error || "Không đếm được.", true);
    return true;
  };

  const pump = async () => {
    if (busy) return;
    busy = true;
    while (queue.length) {
      if (!(await send(queue.shift()))) return;
      if (!queue.length) await refresh();
    }
    busy = false;
  };

  form.addEventListener("submit", (event) => {
    if (event.submitter && event.submitter.name === "lot_id") return; // a lot picked: the ordinary post
    event.preventDefault();
    const value = code.value.trim();
    if (!value) {
      code.focus();
      return;
    }
    queue.push({ code: value, qty: qty.value.trim() });
    code.value = "";
    qty.value = "";
    code.focus();
    pump();
  });
})();
