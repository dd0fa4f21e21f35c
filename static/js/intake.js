// Intake form (phiếu nhập kho), driven by a barcode scanner.
// Scan a known barcode -> a line is added (or its quantity bumped) and the cursor goes to the quantity;
// Enter in the quantity goes back to the scan field (food first asks for the lot and expiry date).
// An unknown barcode opens an inline "new product" form; letters search the producer's products by name.
// Without this script the page still works: staff type codes into the blank rows and save.
(() => {
  "use strict";

  const form = document.getElementById("intake-form");
  if (!form) return;

  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  const producerSelect = document.getElementById("producer");
  const scan = document.getElementById("scan");
  const message = document.getElementById("scan-message");
  const suggestions = document.getElementById("suggestions");
  const tbody = document.querySelector("#lines tbody");
  const newProduct = document.getElementById("new-product");
  const newProductError = document.getElementById("new-product-error");
  const newProductHint = document.getElementById("new-product-hint");
  const emptyHint = document.getElementById("empty-lines");
  const vnd = new Intl.NumberFormat("vi-VN");

  let producerId = producerSelect.value;
  let searchTimer = null;
  let searchSeq = 0;
  let picked = -1;
  let suggestionItems = [];

  // --- set-up: the scanner tools replace the blank rows meant for typing without JavaScript ------------------
  document.querySelectorAll(".js-only").forEach((el) => el.classList.remove("hidden"));
  document.querySelectorAll(".no-js-hint").forEach((el) => el.classList.add("hidden"));
  tbody.querySelectorAll("tr.blank-row").forEach((row) => row.remove());
  tbody.querySelectorAll("tr.line").forEach(wireRow);
  wireDate(form.querySelector('input[name="received_on"]'));
  refresh();
  const firstError = tbody.querySelector("tr.has-error input:not([type=hidden])");
  (firstError || (producerId ? scan : producerSelect)).focus();

  function say(text, kind) {
    message.textContent = text || "";
    message.className = "scan-message" + (kind ? " " + kind : "");
  }

  function digitsOnly(text) {
    return text.replace(/\s+/g, "");
  }

  function lines() {
    return Array.from(tbody.querySelectorAll("tr.line"));
  }

  function parseAmount(text) {
    const cleaned = String(text || "").replace(/[.\s₫đ]/g, "");
    return /^\d+$/.test(cleaned) ? parseInt(cleaned, 10) : 0;
  }

  // A weighed product's quantity as the till reads a weight: "12500" grams, "12,5" or "12,5 kg" kilograms.
  function parseGrams(text) {
    const t = String(text || "").trim().toLowerCase().replace(/\s+/g, " ");
    const m = /^(\d{1,6})(?:[.,](\d{1,3}))?\s*(kg|g)?$/.exec(t);
    if (!m) return 0;
    if (m[2] !== undefined || m[3] === "kg") return parseInt(m[1], 10) * 1000 + parseInt((m[2] || "").padEnd(3, "0"), 10);
    return parseInt(m[1], 10);
  }

  const kg = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: 3, maximumFractionDigits: 3 });

  function refresh() {
    let qty = 0;
    let grams = 0;
    let cost = 0;
    lines().forEach((row, i) => {
      row.querySelector(".line-no").textContent = String(i + 1);
      const price = parseAmount(row.querySelector(".cost").value);
      if (row.dataset.soldBy === "weight") {  // grams at a cost per kg, never added to the pieces
        const g = parseGrams(row.querySelector(".qty").value);
        grams += g;
        cost += Math.floor((2 * g * price + 1000) / 2000);
      } else {
        const q = parseAmount(row.querySelector(".qty").value);
        qty += q;
        cost += q * price;
      }
    });
    const totals = [vnd.format(qty)];
    if (grams) totals.push(`${kg.format(grams / 1000)} kg`);
    document.getElementById("total-qty").textContent = lines().length ? totals.join(" · ") : "";
    document.getElementById("total-cost").textContent = lines().length ? vnd.format(cost) + " ₫" : "";
    emptyHint.classList.toggle("hidden", lines().length > 0);
    document.getElementById("lines").classList.toggle("hidden", lines().length === 0);
  }

  // --- lines ------------------------------------------------------------------------------------------------
  function cell(row, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function input(name, className, attrs) {
    const el = document.createElement("input");
    el.name = name;
    if (className) el.className = className;
    Object.entries(attrs || {}).forEach(([k, v]) => el.setAttribute(k, v));
    return el;
  }

  function addLine(product) {
    const row = document.createElement("tr");
    row.className = "line";
    row.dataset.productId = product.id;
    row.dataset.barcode = product.barcode || "";
    row.dataset.food = product.is_food ? "1" : "0";
    cell(row, "num line-no");

    const code = cell(row, "code-cell");
    code.appendChild(input("line_product_id", "", { type: "hidden", value: product.id }));
    code.appendChild(input("line_code", "", { type: "hidden", value: product.barcode || product.sku }));
    const codeText = document.createElement("span");
    codeText.className = "mono";
    codeText.textContent = product.barcode || product.sku;
    code.appendChild(codeText);

    const name = cell(row, "name-cell");
    const strong = document.createElement("strong");
    strong.textContent = product.name; // textContent: a name full of markup stays text
    const small = document.createElement("small");
    small.className = "muted";
    const weighed = product.sold_by === "weight";
    const unit = weighed ? "bán theo cân: nhập kg có dấu phẩy (12,5) hoặc số gam" : product.unit;
    small.textContent = [product.sku, unit, product.is_food ? "thực phẩm" : ""].filter(Boolean).join(" · ");
    name.append(strong, document.createElement("br"), small);

    if (weighed) row.dataset.soldBy = "weight";
    const qtyAttrs = weighed
      ? { value: "", inputmode: "decimal", maxlength: "12", placeholder: "kg" }
      : { value: "1", inputmode: "numeric", maxlength: "7" };
    cell(row).appendChild(input("line_qty", "qty", qtyAttrs));
    const cost = product.cost_vnd ? vnd.format(product.cost_vnd) : "";
    cell(row).appendChild(input("line_unit_cost_vnd", "cost", { value: cost, inputmode: "numeric", maxlength: "16", placeholder: "0" }));
    cell(row).appendChild(input("line_lot_code", "lot", { maxlength: "60" }));
    cell(row).appendChild(input("line_expiry_date", "expiry", { maxlength: "10", placeholder: "dd/mm/yyyy" }));
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "remove link-danger";
    remove.title = "Xóa dòng";
    remove.textContent = "✕";
    cell(row, "remove-cell").appendChild(remove);

    tbody.appendChild(row);
    wireRow(row);
    refresh();
    return row;
  }

  function focusQty(row) {
    const qty = row.querySelector(".qty");
    qty.focus();
    qty.select();
  }

  function wireRow(row) {
    row.querySelector(".remove").addEventListener("click", () => {
      row.remove();
      refresh();
      scan.focus();
    });
    row.querySelectorAll("input").forEach((el) => el.addEventListener("input", refresh));
    wireDate(row.querySelector(".expiry"));
    const cost = row.querySelector(".cost");
    cost.addEventListener("blur", () => {
      // 85000 -> 85.000, as money is written everywhere else
      const digits = cost.value.replace(/[.\s]/g, "");
      if (/^\d+$/.test(digits)) cost.value = vnd.format(parseInt(digits, 10));
    });
  }

  function wireDate(el) {
    el.addEventListener("blur", () => {
      // 31122026 -> 31/12/2026, typed fast on the keypad
      const d = el.value.replace(/\s+/g, "");
      if (/^\d{8}$/.test(d)) el.value = `${d.slice(0, 2)}/${d.slice(2, 4)}/${d.slice(4)}`;
    });
  }

  function findLine(product) {
    return lines().find((row) => row.dataset.productId === String(product.id));
  }

  function accept(product) {
    // A product found by scan or search: add it, or bump the quantity of its line.
    if (String(product.producer_id) !== String(producerId)) {
      say(`“${product.name}” thuộc nhà sản xuất khác, không thể nhập trong phiếu này.`, "error");
      return;
    }
    if (!product.is_active) {
      say(`“${product.name}” đã ngừng kinh doanh.`, "error");
      return;
    }
    let row = findLine(product);
    if (row && row.dataset.soldBy === "weight") {
      focusQty(row);  // a weight is typed, not counted up by scans
      say(`${product.name}: nhập khối lượng nhận.`, "ok");
      scan.value = "";
      return;
    }
    if (row) {
      const qty = row.querySelector(".qty");
      qty.value = String(parseAmount(qty.value) + 1);
      say(`${product.name}: số lượng ${qty.value}.`, "ok");
      refresh();
    } else {
      row = addLine(product);
      say(`Đã thêm ${product.name}.`, "ok");
    }
    scan.value = "";
    hideSuggestions();
    focusQty(row);
  }

  // Enter moves on instead of submitting: qty -> scan (food: qty -> lot -> expiry -> scan).
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName === "BUTTON" || event.target.tagName === "TEXTAREA") return;
    const el = event.target;
    if (el === scan || newProduct.contains(el)) return; // handled below
    event.preventDefault();
    const row = el.closest("tr.line");
    if (row && row.dataset.food === "1") {
      if (el.classList.contains("qty") || el.classList.contains("cost")) {
        row.querySelector(row.querySelector(".lot").value ? ".expiry" : ".lot").focus();
        return;
      }
      if (el.classList.contains("lot")) {
        row.querySelector(".expiry").focus();
        return;
      }
    }
    scan.focus();
    scan.select();
  });

  // --- producer -----------------------------------------------------------------------------------------------
  producerSelect.addEventListener("change", () => {
    if (!lines().length) return switchProducer();
    const chosen = producerSelect.value;
    producerSelect.value = producerId; // kept until the manager agrees to lose the lines
    window.posConfirm("Đổi nhà sản xuất sẽ xóa các dòng hàng đã nhập. Tiếp tục?").then((yes) => {
      if (!yes) return;
      producerSelect.value = chosen;
      switchProducer();
    });
  });

  function switchProducer() {
    lines().forEach((row) => row.remove());
    producerId = producerSelect.value;
    refresh();
    say("");
    closeNewProduct();
    if (producerId) scan.focus();
  }

  // --- scan field ---------------------------------------------------------------------------------------------
  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    let body = {};
    try {
      body = await response.json();
    } catch (_) {
      body = { error: "Máy chủ trả lời không hợp lệ." };
    }
    return { ok: response.ok, status: response.status, body };
  }

  async function lookup(code) {
    const url = `${form.dataset.lookupUrl}?code=${encodeURIComponent(code)}`;
    return getJson(url);
  }

  async function submitScan() {
    const raw = scan.value.trim();
    if (!raw) return;
    if (!producerId) {
      say("Chọn nhà sản xuất trước khi quét hàng.", "error");
      producerSelect.focus();
      return;
    }
    if (picked >= 0 && suggestionItems[picked]) {
      accept(suggestionItems[picked]);
      return;
    }
    const code = digitsOnly(raw);
    let result;
    try {
      result = await lookup(code);
    } catch (_) {
      say("Mất kết nối với máy chủ. Kiểm tra mạng rồi quét lại.", "error");
      return;
    }
    if (result.ok) {
      accept(result.body.product);
      return;
    }
    if (/^\d+$/.test(code)) {
      if (result.body.unknown) {
        openNewProduct(result.body.barcode, `Mã vạch ${result.body.barcode} chưa có trong danh mục. Nhập thông tin để tạo sản phẩm.`);
      } else {
        say(result.body.error || "Mã vạch không hợp lệ.", "error");
        scan.select();
      }
      return;
    }
    // Letters: a name. One match is taken at once; several are offered.
    const found = await search(raw);
    if (found.length === 1) {
      accept(found[0]);
    } else if (!found.length) {
      say(`Không tìm thấy sản phẩm “${raw}” của nhà sản xuất này.`, "error");
    } else {
      say("Chọn sản phẩm trong danh sách (mũi tên lên/xuống rồi Enter).", "");
    }
  }

  async function search(q) {
    const seq = ++searchSeq;
    const url = `${form.dataset.searchUrl}?q=${encodeURIComponent(q)}&producer_id=${encodeURIComponent(producerId)}`;
    let result;
    try {
      result = await getJson(url);
    } catch (_) {
      return [];
    }
    if (seq !== searchSeq) return suggestionItems; // a newer search has answered
    showSuggestions(result.ok ? result.body.products : []);
    return suggestionItems;
  }

  function showSuggestions(products) {
    suggestionItems = products;
    picked = -1;
    suggestions.replaceChildren();
    products.forEach((product, i) => {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      const name = document.createElement("strong");
      name.textContent = product.name;
      const meta = document.createElement("small");
      meta.className = "muted";
      meta.textContent = ` ${product.barcode || product.sku} · ${product.unit} · tồn ${product.on_hand ?? 0}`;
      li.append(name, meta);
      li.addEventListener("mousedown", (event) => {
        event.preventDefault();
        accept(suggestionItems[i]);
      });
      suggestions.appendChild(li);
    });
    suggestions.classList.toggle("hidden", products.length === 0);
  }

  function hideSuggestions() {
    showSuggestions([]);
  }

  function highlight(index) {
    const items = suggestions.querySelectorAll("li");
    if (!items.length) return;
    picked = (index + items.length) % items.length;
    items.forEach((li, i) => li.classList.toggle("active", i === picked));
    items[picked].scrollIntoView({ block: "nearest" });
  }

  scan.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(searchTimer);
      submitScan();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight(picked + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(picked - 1);
    } else if (event.key === "Escape") {
      hideSuggestions();
    }
  });

  scan.addEventListener("input", () => {
    clearTimeout(searchTimer);
    const q = scan.value.trim();
    // A scanner types digits very fast and ends with Enter; search as one types only for names.
    if (q.length < 2 || /^\d+$/.test(digitsOnly(q)) || !producerId) {
      hideSuggestions();
      return;
    }
    searchTimer = setTimeout(() => search(q), 200);
  });
  scan.addEventListener("blur", () => setTimeout(hideSuggestions, 150));

  // --- a new product, created on the spot ---------------------------------------------------------------------
  function field(name) {
    return newProduct.querySelector(`[data-field="${name}"]`);
  }

  function clearNewProductErrors() {
    newProduct.querySelectorAll("label.field").forEach((label) => {
      label.classList.remove("has-error");
      label.querySelector(".error-text").textContent = "";
    });
    newProductError.textContent = "";
  }

  function openNewProduct(barcode, hint) {
    if (!producerId) {
      say("Chọn nhà sản xuất trước khi tạo sản phẩm.", "error");
      producerSelect.focus();
      return;
    }
    clearNewProductErrors();
    ["name", "price_vnd"].forEach((name) => (field(name).value = ""));
    field("unit").value = "cái";
    field("ocop_stars").value = "";
    field("barcode").value = barcode || "";
    newProductHint.textContent = hint || "Sản phẩm chưa có mã vạch sẽ được cấp mã nội bộ để in tem.";
    newProduct.classList.remove("hidden");
    say("");
    hideSuggestions();
    field("name").focus();
  }

  function closeNewProduct() {
    newProduct.classList.add("hidden");
  }

  async function createProduct() {
    clearNewProductErrors();
    const body = { producer_id: producerId };
    ["name", "price_vnd", "unit", "ocop_group", "ocop_stars", "vat_class", "barcode"].forEach((name) => {
      body[name] = field(name).value;
    });
    const button = document.getElementById("create-product");
    button.disabled = true;
    let response;
    let result = {};
    try {
      response = await fetch(form.dataset.createUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify(body),
      });
      result = await response.json();
    } catch (_) {
      newProductError.textContent = "Mất kết nối với máy chủ; sản phẩm chưa được thêm vào phiếu.";
      return;
    } finally {
      button.disabled = false;
    }
    if (!response.ok) {
      const errors = result.errors || {};
      let first = null;
      Object.entries(errors).forEach(([name, text]) => {
        const label = newProduct.querySelector(`label[data-for="${name}"]`);
        if (label) {
          label.classList.add("has-error");
          label.querySelector(".error-text").textContent = text;
          first = first || label.querySelector("input, select");
        } else {
          newProductError.textContent = text;
        }
      });
      if (!Object.keys(errors).length) newProductError.textContent = result.error || "Chưa tạo được sản phẩm.";
      (first || field("name")).focus();
      return;
    }
    closeNewProduct();
    accept(result.product);
    say(`Đã thêm sản phẩm mới ${result.product.name} vào phiếu; sản phẩm được tạo khi lưu phiếu nhập kho.`, "ok");
  }

  document.getElementById("open-new-product").addEventListener("click", () => openNewProduct(""));
  document.getElementById("create-product").addEventListener("click", createProduct);
  document.getElementById("cancel-new-product").addEventListener("click", () => {
    closeNewProduct();
    scan.focus();
  });
  newProduct.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      createProduct();
    } else if (event.key === "Escape") {
      closeNewProduct();
      scan.focus();
    }
  });

  // A double click on save must not send the form twice (the server also ignores a repeat).
  form.addEventListener("submit", () => {
    document.getElementById("save-intake").disabled = true;
  });
})();
