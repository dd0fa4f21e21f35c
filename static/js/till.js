// The till screen: scan, cart, discounts, park and resume, payment.
// Every figure on screen comes from the server; this file only sends what the cashier did and draws the answer.
// The scan field gets the focus back after every action, so a barcode scanner always types into it.
(() => {
  "use strict";

  const root = document.getElementById("till");
  if (!root) return;

  const $ = (id) => document.getElementById(id);
  const base = root.dataset.base.replace(/\/$/, "");
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const isManager = root.dataset.isManager === "1";
  const cashierLimitBp = Number(root.dataset.cashierLimit);
  const errorSound = new Audio(root.dataset.sound);

  const scan = $("scan");
  const scanForm = $("scan-form");
  const message = $("message");
  const dialogs = Array.from(document.querySelectorAll("dialog"));

  let cart = null;
  let queue = Promise.resolve(); // cart changes run one after another, in the order the cashier made them

  // --- small helpers --------------------------------------------------------------------------------------

  function formatVnd(amount) {
    const sign = amount < 0 ? "-" : "";
    return `${sign}${String(Math.abs(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ".")} ₫`;
  }

  function parseAmount(text) {
    // "500.000", "500 000 ₫" or "500000" -> 500000; "" -> 0; anything else -> NaN
    const cleaned = String(text || "").replace(/[.\s₫đ]/g, "").replace(/,/g, "");
    if (cleaned === "") return 0;
    return /^\d{1,13}$/.test(cleaned) ? Number(cleaned) : NaN;
  }

  function formatBp(bp) {
    const whole = Math.floor(bp / 100);
    const frac = bp % 100;
    return frac ? `${whole},${String(frac).padStart(2, "0").replace(/0$/, "")}%` : `${whole}%`;
  }

  function newKey() {
    // A UUID v4 from getRandomValues, which (unlike randomUUID) also works over plain http on the shop's LAN.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value !== false && value !== null && value !== undefined) node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  function openDialog() {
    return dialogs.find((d) => d.open) || document.querySelector("dialog#confirm-dialog[open]");
  }

  function focusScan() {
    if (openDialog()) return;
    scan.focus();
  }

  function beep() {
    try {
      errorSound.currentTime = 0;
      const played = errorSound.play();
      if (played) played.catch(() => {});
    } catch (_) {
      /* no sound device: the red message is enough */
    }
  }

  function showError(text) {
    message.textContent = text;
    message.className = "till-message error";
    scanForm.classList.add("is-error");
    beep();
  }

  function showInfo(text) {
    message.textContent = text;
    message.className = "till-message ok";
    scanForm.classList.remove("is-error");
  }

  function showWarning(text) {
    message.textContent = text;
    message.className = "till-message warn";
    scanForm.classList.remove("is-error");
    beep();
  }

  // After a scan or a bigger quantity: the server's stock warning (selling past stock is allowed), or nothing.
  function sayStock(data) {
    if (data && data.warning) showWarning(data.warning);
    else clearMessage();
  }

  function clearMessage() {
    message.textContent = "";
    message.className = "till-message hidden";
    scanForm.classList.remove("is-error");
  }

  class ApiError extends Error {
    constructor(text, status, field) {
      super(text);
      this.status = status;
      this.field = field;
    }
  }

  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(base + path, {
        method,
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRFToken": csrfToken,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (_) {
      throw new ApiError("Mất kết nối tới máy chủ. Kiểm tra mạng rồi thử lại.", 0, null);
    }
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      throw new ApiError("Phiên đăng nhập đã hết hoặc máy chủ trả lời lạ. Hãy tải lại trang (F5).", response.status, null);
    }
    if (!response.ok) {
      throw new ApiError(data.error || "Có lỗi, thao tác chưa được ghi.", response.status, data.field || null);
    }
    return data;
  }

  // Run a cart change after the ones before it; draw the cart it returns; report a refusal.
  function change(method, path, body, { after } = {}) {
    const run = async () => {
      try {
        const data = await api(method, path, body);
        render(data);
        dropFlashes();
        if (after) after(data);
        return data;
      } catch (err) {
        showError(err.message);
        if (err.status === 404 && err.field === "line") await reload();
        throw err;
      } finally {
        focusScan();
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => {});
    return result;
  }

  // A page message ("Đã mở ca làm việc.") is news for the moment the page opens: gone with the first sale action.
  function dropFlashes() {
    document.querySelectorAll(".flashes").forEach((node) => node.remove());
  }

  async function reload() {
    try {
      render(await api("GET", "/api/cart"));
    } catch (err) {
      showError(err.message);
    }
  }

  // --- drawing the cart -----------------------------------------------------------------------------------

  function discountText(discount) {
    if (!discount) return "";
    return discount.kind === "percent" ? formatBp(discount.value) : formatVnd(discount.value);
  }

  // A food line is sold first expiry first; the cashier picks another lot when the pack's label says so.
  function lotSelect(line) {
    if (!line.lots || line.lots.length < 2) return null;
    const dmy = (iso) => (iso ? iso.split("-").reverse().join("/") : "—");
    const select = el(
      "select",
      { class: "till-lot", "aria-label": `Lô của ${line.name}`, "data-line": line.id },
      el("option", { value: "", text: "Lô: hết hạn trước bán trước" }),
      ...line.lots.map((lot) => el("option", { value: String(lot.id), text: `Lô ${lot.code || "—"} · HSD ${dmy(lot.expiry_date)}` })),
    );
    select.value = line.lot_chosen && line.lot ? String(line.lot.id) : "";
    select.addEventListener("change", () =>
      change("POST", `/api/lines/${line.id}/lot`, { lot_id: select.value ? Number(select.value) : null }).catch(() => {}),
    );
    return select;
  }

  function lineRow(line, index, lastId) {
    // A weighed line's quantity is grams; it is shown and typed in kg ("0,350") or grams ("350").
    const weighed = line.sold_by === "weight";
    const shownQty = weighed ? line.qty_text.replace(/ kg$/, "") : String(line.qty);
    const qtyInput = el("input", {
      class: "qty",
      type: weighed ? "text" : "number",
      inputmode: weighed ? "decimal" : "numeric",
      min: "1",
      max: "9999",
      step: "1",
      value: shownQty,
      "aria-label": weighed ? `Khối lượng ${line.name} (kg)` : `Số lượng ${line.name}`,
      "data-line": line.id,
    });
    qtyInput.addEventListener("change", () => setQty(line, qtyInput.value));
    qtyInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        setQty(line, qtyInput.value);
      } else if (event.key === "Escape") {
        qtyInput.value = shownQty;
        focusScan();
      }
    });
    const badges = [];
    if (line.short) {
      badges.push(el("span", { class: "badge danger", text: `Không đủ hàng: tồn kho còn ${Math.max(line.on_hand, 0)}` }));
    }
    if (line.needs_approval) badges.push(el("span", { class: "badge danger", text: "Giảm giá cần quản lý duyệt" }));
    if (line.lot_warning) badges.push(el("span", { class: "badge warn", text: line.lot_warning }));
    const lotPicker = lotSelect(line);
    if (line.is_basket) badges.push(el("span", { class: "badge", text: "Giỏ quà" }));
    if (line.promotion) {
      badges.push(el("span", { class: "badge promo", text: `KM: ${line.promotion.name} −${formatVnd(line.promotion.discount_vnd)}` }));
    }
    const discountCell = el("td", { class: "num till-discount-cell" });
    if (line.line_discount_vnd) {
      discountCell.append(
        el("span", { text: `−${formatVnd(line.line_discount_vnd)}` }),
        el("small", { text: line.discount && line.discount.kind === "percent" ? discountText(line.discount) : "" }),
      );
    }
    const row = el(
      "tr",
      { "data-line": line.id, class: line.id === lastId ? "is-last is-flash" : "" },
      el("td", { class: "col-no", text: String(index + 1) }),
      el(
        "td",
        {},
        el("div", { class: "name", text: line.name, title: line.name }),
        el("div", { class: "sub", text: [line.sku, line.barcode].filter(Boolean).join(" · ") }),
        ...badges,
        ...(lotPicker ? [lotPicker] : []),
      ),
      el(
        "td",
        { class: "num" },
        el(
          "span",
          { class: "till-qty" },
          el("button", {
            type: "button",
            text: "−",
            title: "Bớt 1",
            "aria-label": `Bớt 1 ${line.name}`,
            disabled: line.qty <= 1 || weighed ? "disabled" : false,
            onclick: () => setQty(line, line.qty - 1),
          }),
          qtyInput,
          el("button", {
            type: "button",
            text: "+",
            title: "Thêm 1",
            "aria-label": `Thêm 1 ${line.name}`,
            disabled: weighed ? "disabled" : false,
            onclick: () => setQty(line, line.qty + 1),
          }),
        ),
      ),
      el("td", { class: "num", text: line.unit_price_text || formatVnd(line.unit_price_vnd) }),
      discountCell,
      el("td", { class: "num", text: formatVnd(line.gross_vnd - line.line_discount_vnd) }),
      el(
        "td",
        {},
        el(
          "div",
          { class: "till-row-actions" },
          el("button", {
            type: "button",
            class: "till-line-discount",
            title: "Giảm giá dòng này",
            "aria-label": `Giảm giá ${line.name}`,
            onclick: () => openDiscount(line),
          }, el("span", { class: "wide-only", text: "Giảm giá" }), el("span", { class: "narrow-only", text: "%" })),
          el("button", {
            type: "button",
            class: "till-danger",
            text: "Xóa",
            title: "Xóa khỏi đơn",
            "aria-label": `Xóa ${line.name} khỏi đơn`,
            onclick: () => change("POST", `/api/lines/${line.id}/remove`, {}),
          }),
        ),
      ),
    );
    return row;
  }

  function render(data) {
    cart = data;
    if (window.posTill) window.posTill.onCart(data);
    const tbody = $("cart-lines");
    tbody.replaceChildren(...data.lines.map((line, i) => lineRow(line, i, data.last_line_id)));
    $("cart-empty").classList.toggle("hidden", data.lines.length > 0);
    $("cart-table").classList.toggle("hidden", data.lines.length === 0);
    $("total").textContent = formatVnd(data.total_vnd);
    $("item-count").textContent = data.items ? `(${data.items} sản phẩm)` : "";
    $("subtotal").textContent = formatVnd(data.subtotal_vnd);
    toggleSum("line-discount", data.line_discount_vnd);
    toggleSum("sale-discount", data.sale_discount_vnd, data.sale_discount);
    $("vat-lines").replaceChildren(
      ...data.vat.flatMap((part) => [
        el("dt", { text: `Thuế GTGT ${part.rate} (đã gồm)` }),
        el("dd", { text: formatVnd(part.vat_vnd) }),
      ]),
    );
    $("pay").disabled = data.lines.length === 0;
    $("parked-count").textContent = String(data.parked_count);
    showCustomer(data.customer || null);
    if (data.lines.length > 0) $("done").classList.add("hidden");
    const last = tbody.querySelector("tr.is-last");
    if (last) last.scrollIntoView({ block: "nearest" });
  }

  // --- the customer of the sale: found by phone, or created with a name; points shown and usable ---------

  function showCustomer(customer) {
    cart.customer = customer;
    $("customer-find").classList.toggle("hidden", Boolean(customer));
    $("customer-info").classList.toggle("hidden", !customer);
    if (!customer) {
      $("use-points").checked = false;
      return;
    }
    const company = customer.company_name ? ` · ${customer.company_name}` : "";
    $("customer-label").textContent = `${customer.name} (${customer.phone})${company}`;
    $("customer-points").textContent = `${customer.points} điểm = ${formatVnd(customer.points_vnd)}`;
    $("use-points").disabled = customer.points <= 0;
  }

  $("customer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("customer-name");
    try {
      const data = await api("POST", "/api/customer", { phone: $("customer-phone").value, name: name.value });
      name.value = "";
      name.classList.add("hidden");
      $("customer-phone").value = "";
      showCustomer(data.customer);
      clearMessage();
      focusScan();
    } catch (err) {
      showError(err.message);
      if (err.status === 404 && err.field === "name") {
        name.classList.remove("hidden");
        name.focus();
      }
    }
  });

  $("customer-clear").addEventListener("click", async () => {
    try {
      showCustomer((await api("POST", "/api/customer/clear", {})).customer);
    } catch (err) {
      showError(err.message);
    }
    focusScan();
  });

  function pointsToUse(total) {
    // Points pay in whole points, never more than the sale; the rest is paid as usual.
    const c = cart.customer;
    if (!c || !$("use-points").checked || c.points <= 0) return 0;
    const value = c.points_vnd / c.points;
    return Math.min(c.points, Math.floor(total / value)) * value;
  }

  function toggleSum(id, amount, discount) {
    const show = amount > 0;
    $(id).classList.toggle("hidden", !show);
    $(`${id}-label`).classList.toggle("hidden", !show);
    const suffix = discount && discount.kind === "percent" ? ` (${discountText(discount)})` : "";
    $(id).textContent = show ? `−${formatVnd(amount)}${suffix}` : "";
  }

  // --- cart actions ---------------------------------------------------------------------------------------

  scanForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const code = scan.value.trim();
    scan.value = "";
    if (!code) {
      focusScan();
      return;
    }
    change("POST", "/api/scan", { code }, { after: sayStock }).catch(() => {
      // Leave the bad code selected: the next scan replaces it, and the cashier can read what was scanned.
      if (scan.value === "") {
        scan.value = code;
        scan.select();
      }
    });
  });

  function setQty(line, raw) {
    if (line.sold_by === "weight") {
      // The server reads "0,35" (kg) or "350" (g) and refuses zero or absurd weights in the cashier's words.
      if (String(raw).trim() === "" || String(raw).trim() === line.qty_text.replace(/ kg$/, "")) {
        render(cart);
        focusScan();
        return;
      }
      change("POST", `/api/lines/${line.id}/qty`, { weight: String(raw) }, { after: sayStock }).catch(() => render(cart));
      return;
    }
    const qty = Number(raw);
    if (String(raw).trim() === "" || qty === line.qty) {
      render(cart);
      focusScan();
      return;
    }
    change("POST", `/api/lines/${line.id}/qty`, { qty: Number.isInteger(qty) ? qty : String(raw) }, { after: sayStock }).catch(
      () => render(cart),
    );
  }

  $("clear").addEventListener("click", () => {
    if (!cart || cart.lines.length === 0) return focusScan();
    window.posConfirm("Xóa toàn bộ sản phẩm trong đơn đang bán?").then((yes) => {
      if (yes) {
        change("POST", "/api/clear", {}, { after: () => showInfo("Đã xóa đơn.") }).catch(() => {});
      } else {
        focusScan();
      }
    });
  });

  // --- dialogs: shared behaviour --------------------------------------------------------------------------

  for (const dialog of dialogs) {
    dialog.addEventListener("close", () => setTimeout(focusScan, 0));
    dialog.addEventListener("click", (event) => {
      if (event.target.closest("[data-close]")) dialog.close();
    });
  }

  // --- search by name -------------------------------------------------------------------------------------

  const searchDialog = $("search-dialog");
  const searchInput = $("search-input");
  const searchResults = $("search-results");
  let searchTimer = null;
  let searchSeq = 0;

  function openSearch() {
    searchInput.value = "";
    searchResults.replaceChildren();
    searchDialog.showModal();
    searchInput.focus();
  }

  async function runSearch() {
    const q = searchInput.value.trim();
    const seq = ++searchSeq;
    if (!q) {
      searchResults.replaceChildren();
      return;
    }
    try {
      const data = await api("GET", `/api/search?q=${encodeURIComponent(q)}`);
      if (seq !== searchSeq) return; // an older answer arriving late
      searchResults.replaceChildren(
        ...data.products.map((p, i) =>
          el(
            "li",
            { role: "option", "aria-selected": i === 0 ? "true" : "false", "data-id": p.id, onclick: () => pick(p.id) },
            el("span", {}, el("span", { text: p.name }), el("div", { class: "sub", text: `${p.sku} · tồn kho ${p.on_hand}` })),
            el("span", { class: "price", text: formatVnd(p.price_vnd) }),
          ),
        ),
      );
      if (data.products.length === 0) {
        searchResults.replaceChildren(el("li", { class: "sub", text: "Không tìm thấy sản phẩm nào." }));
      }
    } catch (err) {
      searchResults.replaceChildren(el("li", { class: "sub", text: err.message }));
    }
  }

  function pick(productId) {
    searchDialog.close();
    change("POST", "/api/lines", { product_id: productId }, { after: sayStock }).catch(() => {});
  }

  function moveSelection(list, step) {
    const items = Array.from(list.querySelectorAll("li[data-id]"));
    if (items.length === 0) return;
    let index = items.findIndex((li) => li.getAttribute("aria-selected") === "true");
    index = Math.max(0, Math.min(items.length - 1, index + step));
    items.forEach((li, i) => li.setAttribute("aria-selected", i === index ? "true" : "false"));
    items[index].scrollIntoView({ block: "nearest" });
  }

  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 120);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const selected = searchResults.querySelector('li[aria-selected="true"][data-id]');
    if (selected) pick(Number(selected.dataset.id));
  });
  searchInput.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveSelection(searchResults, event.key === "ArrowDown" ? 1 : -1);
    }
  });
  $("open-search").addEventListener("click", openSearch);

  // --- discounts ------------------------------------------------------------------------------------------

  const discountDialog = $("discount-dialog");
  const discountForm = $("discount-form");
  const discountValue = $("discount-value");
  const approval = $("approval");
  const discountError = $("discount-error");
  let discountTarget = null; // {line} or {sale: true}

  function discountBase() {
    if (!discountTarget) return 0;
    if (discountTarget.line) return discountTarget.line.gross_vnd;
    return cart.subtotal_vnd - cart.line_discount_vnd;
  }

  function openDiscount(line) {
    if (!cart || cart.lines.length === 0) {
      showError("Đơn chưa có sản phẩm nào để giảm giá.");
      return;
    }
    discountTarget = line ? { line } : { sale: true };
    const current = line ? line.discount : cart.sale_discount;
    $("discount-title").textContent = line ? `Giảm giá: ${line.name}` : "Giảm giá cả đơn";
    $("discount-base").textContent = line
      ? `Thành tiền dòng: ${formatVnd(line.gross_vnd)} (${line.qty} × ${formatVnd(line.unit_price_vnd)})`
      : `Tiền hàng sau giảm giá từng sản phẩm: ${formatVnd(discountBase())}`;
    const kind = current ? current.kind : "percent";
    discountForm.querySelector(`input[name="kind"][value="${kind}"]`).checked = true;
    discountValue.value = current
      ? current.kind === "percent"
        ? formatBp(current.value).replace("%", "")
        : formatVnd(current.value).replace(" ₫", "")
      : "";
    $("manager-username").value = "";
    $("manager-password").value = "";
    approval.classList.add("hidden");
    discountError.classList.add("hidden");
    $("discount-remove").classList.toggle("hidden", !current);
    discountDialog.showModal();
    discountValue.focus();
    discountValue.select();
  }

  function typedDiscountBp() {
    // The effective percentage of what is typed, to ask for the manager before the server has to.
    const kind = discountForm.querySelector('input[name="kind"]:checked').value;
    if (kind === "percent") {
      const value = Number(discountValue.value.replace(",", ".").replace("%", ""));
      return Number.isFinite(value) ? Math.round(value * 100) : 0;
    }
    const amount = parseAmount(discountValue.value);
    const baseVnd = discountBase();
    return Number.isFinite(amount) && baseVnd > 0 ? (amount * 10000) / baseVnd : 0;
  }

  function updateApprovalHint() {
    if (!isManager && typedDiscountBp() > cashierLimitBp) approval.classList.remove("hidden");
  }
  discountValue.addEventListener("input", updateApprovalHint);
  discountForm.addEventListener("change", updateApprovalHint);

  async function sendDiscount(remove) {
    const body = remove
      ? { kind: "", value: "" }
      : {
          kind: discountForm.querySelector('input[name="kind"]:checked').value,
          value: discountValue.value.trim(),
          manager_username: $("manager-username").value.trim(),
          manager_password: $("manager-password").value,
        };
    const path = discountTarget.line ? `/api/lines/${discountTarget.line.id}/discount` : "/api/discount";
    try {
      const data = await api("POST", path, body);
      render(data);
      discountDialog.close();
      showInfo(remove ? "Đã bỏ giảm giá." : "Đã áp dụng giảm giá.");
    } catch (err) {
      discountError.textContent = err.message;
      discountError.classList.remove("hidden");
      beep();
      if (err.field === "approval") {
        approval.classList.remove("hidden");
        const user = $("manager-username");
        (user.value ? $("manager-password") : user).focus();
      } else {
        discountValue.focus();
        discountValue.select();
      }
    }
  }

  discountForm.addEventListener("submit", (event) => {
    event.preventDefault();
    sendDiscount(false);
  });
  $("discount-remove").addEventListener("click", () => sendDiscount(true));
  $("sale-discount-btn").addEventListener("click", () => openDiscount(null));

  // --- park and resume ------------------------------------------------------------------------------------

  const parkDialog = $("park-dialog");
  const parkedDialog = $("parked-dialog");
  const parkedList = $("parked-list");

  function openPark() {
    if (!cart || cart.lines.length === 0) {
      showError("Đơn đang trống, không có gì để lưu tạm.");
      return;
    }
    $("park-label").value = "";
    parkDialog.showModal();
    $("park-label").focus();
  }

  $("park-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const label = $("park-label").value;
    parkDialog.close();
    change("POST", "/api/park", { label }, { after: () => showInfo("Đã lưu tạm đơn. Bấm F9 để mở lại.") }).catch(() => {});
  });

  async function openParked() {
    let data;
    try {
      data = await api("GET", "/api/parked");
    } catch (err) {
      showError(err.message);
      return;
    }
    parkedList.replaceChildren(
      ...data.parked.map((p, i) =>
        el(
          "li",
          { role: "option", "data-id": p.id, "aria-selected": i === 0 ? "true" : "false", onclick: () => resume(p.id) },
          el(
            "span",
            {},
            el("strong", { text: p.label || "Đơn lưu tạm" }),
            el("div", { class: "sub", text: `${p.parked_at} · ${p.items} sản phẩm · ${p.names}` }),
          ),
          el("span", { class: "price", text: formatVnd(p.total_vnd) }),
        ),
      ),
    );
    $("parked-empty").classList.toggle("hidden", data.parked.length > 0);
    parkedDialog.showModal();
    parkedDialog.focus();
  }

  function resume(cartId) {
    parkedDialog.close();
    change("POST", `/api/parked/${cartId}/resume`, {}, { after: () => showInfo("Đã mở lại đơn lưu tạm.") }).catch(() => {});
  }

  parkedDialog.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveSelection(parkedList, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter") {
      const selected = parkedList.querySelector('li[aria-selected="true"]');
      if (selected) {
        event.preventDefault();
        resume(Number(selected.dataset.id));
      }
    }
  });
  $("park").addEventListener("click", openPark);
  $("parked").addEventListener("click", openParked);

  // --- payment --------------------------------------------------------------------------------------------

  const payDialog = $("pay-dialog");
  const payForm = $("pay-form");
  const paySubmit = $("pay-submit");
  const payError = $("pay-error");
  const tendered = $("cash-tendered");
  let payment = null; // {key, total, method, transferNote}

  function openPayWhenSettled() {
    // A scan still on its way must land in the cart before the total is shown for payment.
    queue.then(openPay);
  }

  function openPay() {
    if (!cart || cart.lines.length === 0) {
      showError("Đơn chưa có sản phẩm nào để thanh toán.");
      return;
    }
    if (cart.needs_approval) {
      showError("Có giảm giá vượt hạn mức chưa được quản lý duyệt. Hãy nhập lại giảm giá đó.");
      return;
    }
    const short = cart.lines.find((line) => line.short);
    if (short) {
      showError(`Không đủ hàng “${short.name}”: tồn kho còn ${Math.max(short.on_hand, 0)} ${short.unit}, đơn cần ${short.qty}.`);
      return;
    }
    clearMessage();
    scan.value = "";
    // The key is made once per opening of the dialog: a double Enter or a retry sends the same one.
    const points = pointsToUse(cart.total_vnd);
    payment = { key: newKey(), total: cart.total_vnd - points, points, method: "cash", transferNote: "" };
    $("pay-total").textContent = formatVnd(payment.total);
    $("card-amount").textContent = formatVnd(payment.total);
    $("transfer-amount").textContent = formatVnd(payment.total);
    $("card-reference").value = "";
    $("transfer-reference").value = "";
    for (const id of ["split-card", "split-card-reference", "split-transfer", "split-transfer-reference", "split-cash"]) {
      $(id).value = "";
    }
    $("split-qr-wrap").classList.add("hidden");
    $("transfer-qr").replaceChildren();
    $("transfer-number").textContent = "";
    tendered.value = formatVnd(payment.total).replace(" ₫", "");
    $("cash-quick").replaceChildren(
      ...cart.cash_suggestions.map((amount, i) =>
        el("button", {
          type: "button",
          text: i === 0 ? `Đúng số tiền ${formatVnd(amount)}` : formatVnd(amount),
          onclick: () => {
            tendered.value = formatVnd(amount).replace(" ₫", "");
            updateCash();
            tendered.focus();
          },
        }),
      ),
    );
    hidePayError();
    setBusy(false);
    payDialog.showModal();
    selectMethod("cash");
  }

  function selectMethod(method) {
    payment.method = method;
    for (const tab of payDialog.querySelectorAll("[data-method]")) {
      tab.setAttribute("aria-selected", tab.dataset.method === method ? "true" : "false");
    }
    for (const panel of payDialog.querySelectorAll("[data-panel]")) {
      panel.classList.toggle("hidden", panel.dataset.panel !== method);
    }
    hidePayError();
    if (method === "cash") {
      updateCash();
      tendered.focus();
      tendered.select();
    } else if (method === "card") {
      $("card-reference").focus();
    } else if (method === "transfer") {
      loadQr(payment.total, $("transfer-qr"), $("transfer-number"));
      paySubmit.focus();
    } else {
      updateSplit();
      $("split-card").focus();
    }
  }

  async function loadQr(amount, target, numberTarget) {
    target.replaceChildren(el("p", { class: "muted", text: "Đang tạo mã VietQR…" }));
    try {
      const data = await api("GET", `/api/vietqr?amount=${amount}`);
      // The SVG is drawn by our own server from digits and the bank's account: safe to insert as markup.
      target.innerHTML = data.svg;
      if (window.posTill) window.posTill.onQr(data);
      numberTarget.textContent = data.receipt_number;
      payment.transferNote = data.receipt_number;
      $("transfer-account").textContent = `Tài khoản ${data.account} · ${data.account_name}`;
      return data;
    } catch (err) {
      target.replaceChildren(el("p", { class: "error-text", text: err.message }));
      return null;
    }
  }

  function showChange(prefix, given, due) {
    // Either the change to hand back, or, in red under its own label, what the customer still owes.
    const box = $(`${prefix}-change`).parentElement;
    const short = Number.isNaN(given) || given < due;
    box.classList.toggle("is-short", short);
    $(`${prefix}-change-label`).textContent = short ? "Khách còn thiếu" : "Tiền thừa trả khách";
    $(`${prefix}-change`).textContent = Number.isNaN(given) ? "số tiền không hợp lệ" : formatVnd(Math.abs(given - due));
  }

  function updateCash() {
    showChange("cash", parseAmount(tendered.value), payment.total);
  }
  tendered.addEventListener("input", updateCash);

  function splitAmounts() {
    return {
      card: parseAmount($("split-card").value),
      transfer: parseAmount($("split-transfer").value),
      cash: parseAmount($("split-cash").value),
    };
  }

  function updateSplit() {
    const a = splitAmounts();
    const rest = Math.max(payment.total - (a.card || 0) - (a.transfer || 0), 0);
    $("split-rest").textContent = formatVnd(rest);
    const invalid = [a.card, a.transfer, a.cash].some(Number.isNaN);
    showChange("split", invalid ? NaN : a.cash || 0, rest);
  }
  for (const id of ["split-card", "split-transfer", "split-cash"]) $(id).addEventListener("input", updateSplit);
  $("split-show-qr").addEventListener("click", async () => {
    const amount = splitAmounts().transfer;
    if (!amount) {
      showPayError("Nhập số tiền chuyển khoản trước.");
      $("split-transfer").focus();
      return;
    }
    $("split-qr-wrap").classList.remove("hidden");
    $("split-qr-amount").textContent = formatVnd(amount);
    await loadQr(amount, $("split-qr"), $("split-qr-number"));
    $("split-cash").focus();
  });

  function buildPayments() {
    const rest = buildRest();
    if (typeof rest === "string" || !payment.points) return rest;
    return [{ method: "points", amount_vnd: payment.points }, ...rest];
  }

  function buildRest() {
    // Returns the payments to send, or a message saying what is missing (checked again by the server).
    if (payment.total === 0) return [];
    const m = payment.method;
    if (m === "cash") {
      const given = parseAmount(tendered.value);
      if (Number.isNaN(given)) return "Số tiền khách đưa không hợp lệ.";
      if (given < payment.total) return `Số tiền khách đưa chưa đủ: còn thiếu ${formatVnd(payment.total - given)}.`;
      return [{ method: "cash", amount_vnd: given }];
    }
    if (m === "card") {
      const reference = $("card-reference").value.trim();
      if (!reference) return "Nhập mã giao dịch (mã chuẩn chi) in trên phiếu của máy quẹt thẻ.";
      return [{ method: "card", amount_vnd: payment.total, reference }];
    }
    if (m === "transfer") {
      // The bank's reference when the cashier typed one (printed on the receipt), else the QR's note.
      const reference = $("transfer-reference").value.trim() || payment.transferNote;
      return [{ method: "transfer", amount_vnd: payment.total, reference }];
    }
    const a = splitAmounts();
    if ([a.card, a.transfer, a.cash].some(Number.isNaN)) return "Có số tiền không hợp lệ.";
    const list = [];
    if (a.card) list.push({ method: "card", amount_vnd: a.card, reference: $("split-card-reference").value.trim() });
    if (a.transfer) {
      const reference = $("split-transfer-reference").value.trim() || payment.transferNote;
      list.push({ method: "transfer", amount_vnd: a.transfer, reference });
    }
    if (a.cash) list.push({ method: "cash", amount_vnd: a.cash });
    return list;
  }

  function showPayError(text) {
    payError.textContent = text;
    payError.classList.remove("hidden");
    beep();
  }

  function hidePayError() {
    payError.textContent = "";
    payError.classList.add("hidden");
  }

  function setBusy(busy) {
    payment.busy = busy;
    paySubmit.disabled = busy;
    paySubmit.textContent = busy ? "Đang ghi đơn…" : "Hoàn tất thanh toán ";
    if (!busy) paySubmit.append(el("kbd", { text: "Enter" }));
  }

  // The receipt's language for this sale only (a foreign visitor asks for English): back to the default after.
  const languageBox = $("receipt-language");
  const languageInputs = Array.from(languageBox.querySelectorAll("input[name=receipt_language]"));

  function receiptLanguage() {
    const chosen = languageInputs.find((input) => input.checked);
    return chosen ? chosen.value : languageBox.dataset.default;
  }

  function setReceiptLanguage(code) {
    for (const input of languageInputs) input.checked = input.value === code;
  }

  function nextReceiptLanguage() {
    const codes = languageInputs.map((input) => input.value);
    setReceiptLanguage(codes[(codes.indexOf(receiptLanguage()) + 1) % codes.length]);
  }

  const BUYER_FIELDS = ["tax_code", "company", "address", "name", "id_number", "phone", "email"];
  const buyerBox = $("buyer");

  function buyerDetails() {
    // Only what the buyer asked to be on the invoice; nothing at all when the section was left empty.
    if (!buyerBox) return null;
    const buyer = {};
    for (const key of BUYER_FIELDS) {
      const value = $(`buyer-${key}`).value.trim();
      if (value) buyer[key] = value;
    }
    return Object.keys(buyer).length ? buyer : null;
  }

  function resetBuyer() {
    if (!buyerBox) return;
    for (const key of BUYER_FIELDS) $(`buyer-${key}`).value = "";
    buyerBox.open = false;
  }

  function toggleBuyer() {
    if (!buyerBox) return;
    buyerBox.open = !buyerBox.open;
    if (buyerBox.open) $("buyer-tax_code").focus();
  }

  async function completeSale() {
    if (!payment || payment.busy) return; // a second Enter or click while the first is on its way
    const payments = buildPayments();
    if (typeof payments === "string") {
      showPayError(payments);
      return;
    }
    setBusy(true);
    hidePayError();
    try {
      const data = await api("POST", "/api/checkout", {
        cart_id: cart.id,
        idempotency_key: payment.key,
        expected_total_vnd: payment.total + payment.points,
        payments,
        buyer: buyerDetails(),
        receipt_language: receiptLanguage(),
      });
      payment = null;
      resetBuyer();
      setReceiptLanguage(languageBox.dataset.default);
      payDialog.close();
      render(data.cart);
      showDone(data);
    } catch (err) {
      setBusy(false);
      if (err.field === "total" || err.field === "cart" || err.field === "approval" || err.field === "lot") {
        // The cart changed under the dialog (price, VAT date, approval): show it again before taking money.
        payDialog.close();
        await reload();
        showError(err.message);
        return;
      }
      showPayError(err.message);
      if (err.field && err.field.startsWith("buyer_") && buyerBox) {
        buyerBox.open = true;
        const input = $(`buyer-${err.field.slice(6)}`);
        if (input) input.focus();
      }
    }
  }

  function showDone(data) {
    $("done-number").textContent = data.receipt_number;
    $("done-change").textContent = formatVnd(data.change_vnd);
    $("done-change-row").classList.toggle("hidden", !data.tendered_vnd);
    $("done-receipt").href = data.receipt_url;
    $("done").classList.remove("hidden");
    showInfo(`Đã thanh toán hóa đơn ${data.receipt_number}.`);
    // No new tab: the till's printer prints it from the server's queue, or this browser from a hidden frame.
    if (window.posTill) window.posTill.onDone(data);
    focusScan();
  }

  payForm.addEventListener("submit", (event) => {
    event.preventDefault();
    completeSale();
  });
  for (const tab of payDialog.querySelectorAll("[data-method]")) {
    tab.addEventListener("click", () => selectMethod(tab.dataset.method));
  }
  $("pay").addEventListener("click", () => openPayWhenSettled());

  // --- keyboard -------------------------------------------------------------------------------------------

  const METHOD_KEYS = { F6: "cash", F7: "card", F8: "transfer", F9: "split" };
  const TILL_KEYS = {
    F2: openSearch,
    F3: () => openDiscount(null),
    F4: openPayWhenSettled,
    F8: openPark,
    F9: openParked,
  };

  document.addEventListener("keydown", (event) => {
    const dialog = openDialog();
    if (dialog === payDialog && event.key === "F1") {
      event.preventDefault(); // not the browser's help page
      if (payment && !payment.busy) nextReceiptLanguage();
      return;
    }
    if (dialog === payDialog && event.key === "F10") {
      event.preventDefault();
      toggleBuyer();
      return;
    }
    if (dialog === payDialog && METHOD_KEYS[event.key]) {
      event.preventDefault();
      if (payment && !payment.busy) selectMethod(METHOD_KEYS[event.key]);
      return;
    }
    if (dialog) return; // Esc closes it (the browser's own dialog behaviour), Enter submits its form
    if (TILL_KEYS[event.key]) {
      event.preventDefault();
      TILL_KEYS[event.key]();
      return;
    }
    // A scanner (or a finger) typing while something else has the focus still types into the scan field.
    const target = event.target;
    const typing = target.closest && target.closest("input, select, textarea");
    if (!typing && event.key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey) {
      scan.focus();
    } else if (!typing && event.key === "Enter" && document.activeElement === document.body) {
      event.preventDefault();
      focusScan();
    }
  });

  document.addEventListener("click", (event) => {
    if (openDialog()) return;
    if (event.target.closest("input, select, textarea, a, label")) return;
    setTimeout(focusScan, 0);
  });
  window.addEventListener("focus", () => setTimeout(focusScan, 0));

  reload().then(focusScan);
})();
