// Label printing: keep ticked products across searches, tick a product when its count is typed, tick all.
(function () {
  const form = document.getElementById("label-form");
  const search = document.getElementById("label-search");
  if (!form) return;
  const boxes = () => Array.from(form.querySelectorAll("input[name=product_ids]"));

  const tally = document.getElementById("label-tally");
  const updateTally = () => {
    if (!tally) return;
    const ticked = boxes().filter((box) => box.checked);
    const labels = ticked.reduce((sum, box) => {
      const count = form.querySelector(`input[name="count_${box.value}"]`);
      const n = count && count.value !== "" ? parseInt(count.value, 10) : 1;
      return sum + (Number.isFinite(n) && n > 0 ? n : 0);
    }, 0);
    tally.textContent = ticked.length ? `Đã chọn ${ticked.length} sản phẩm, ${labels.toLocaleString("vi-VN")} tem.` : "";
  };
  form.addEventListener("input", (event) => {
    const input = event.target;
    if (input.name && input.name.startsWith("count_") && input.value !== "" && input.value !== "0") {
      const box = form.querySelector(`input[name=product_ids][value="${input.name.slice(6)}"]`);
      if (box) box.checked = true;
    }
  });
  form.addEventListener("change", updateTally);
  form.addEventListener("input", updateTally);
  updateTally();

  const all = document.getElementById("tick-all");
  if (all) {
    all.addEventListener("change", () => {
      boxes().forEach((box) => { box.checked = all.checked; });
      updateTally();
    });
  }

  if (search) {
    search.addEventListener("submit", () => {
      search.querySelectorAll(".carried").forEach((el) => el.remove());
      const layout = form.querySelector("select[name=layout]");
      const hiddenLayout = search.querySelector("input[name=layout]");
      if (layout && hiddenLayout) hiddenLayout.value = layout.value;
      boxes().filter((box) => box.checked).forEach((box) => {
        const count = form.querySelector(`input[name="count_${box.value}"]`);
        for (const [name, value] of [["product_id", box.value], [`count_${box.value}`, count ? count.value : "1"]]) {
          const hidden = document.createElement("input");
          hidden.type = "hidden";
          hidden.className = "carried";
          hidden.name = name;
          hidden.value = value;
          search.appendChild(hidden);
        }
      });
    });
  }
})();
