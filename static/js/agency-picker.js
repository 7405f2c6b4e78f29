/* The agency picker (agencies/picker.py): the search box asks the server for the agencies matching what is
   typed and the one chosen goes into the field's <select>. Without this script the search box itself is
   the field (typed codes or names are resolved when the form is sent). */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function setUp(box, index) {
    var select = box.querySelector("select");
    var input = box.querySelector("input[type=search]");
    var multiple = box.hasAttribute("data-multiple");
    var listId = "agency-picker-list-" + index;
    var list = document.createElement("ul");
    var chips = document.createElement("div");
    var active = -1;
    var results = [];

    // The search box only searches now: the <select> carries the value.
    if (input.value && !select.value) {
      input.setAttribute("data-typed", input.value);
    } else {
      input.removeAttribute("name");
    }
    if (box.getAttribute("data-placeholder")) { input.placeholder = box.getAttribute("data-placeholder"); }
    select.classList.add("visually-hidden");
    select.setAttribute("tabindex", "-1");
    list.id = listId;
    list.className = "list-group agency-picker-list shadow-sm";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    chips.className = "d-flex flex-wrap gap-1 mt-1 agency-picker-chips";
    box.appendChild(list);
    box.insertBefore(chips, input);

    function chosen() {
      return Array.prototype.filter.call(select.options, function (o) { return o.value && o.selected; });
    }

    function drawChips() {
      chips.textContent = "";
      if (!multiple) {
        var current = chosen()[0];
        if (current && !input.getAttribute("data-typed")) { input.value = current.textContent; }
        return;
      }
      chosen().forEach(function (option) {
        var chip = document.createElement("span");
        var remove = document.createElement("button");
        chip.className = "badge text-bg-light border d-inline-flex align-items-center gap-1 text-wrap text-start";
        chip.textContent = option.textContent;
        remove.type = "button";
        remove.className = "btn-close btn-close-sm";
        remove.setAttribute("aria-label", (box.getAttribute("data-remove") || "×") + " " + option.textContent);
        remove.addEventListener("click", function () {
          select.removeChild(option);
          drawChips();
          input.focus();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(result) {
      if (!multiple) { select.textContent = ""; }
      if (!Array.prototype.some.call(select.options, function (o) { return o.value === String(result.id); })) {
        var option = new Option(result.label, result.id, true, true);
        select.appendChild(option);
      }
      input.removeAttribute("data-typed");
      input.removeAttribute("name");
      input.value = multiple ? "" : result.label;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      drawChips();
      close();
    }

    function highlight(i) {
      var items = list.querySelectorAll("[role=option]");
      items.forEach(function (item, k) { item.classList.toggle("active", k === i); item.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (items[i]) { input.setAttribute("aria-activedescendant", items[i].id); }
    }

    function show(found) {
      results = found;
      list.textContent = "";
      found.forEach(function (result, i) {
        var item = document.createElement("li");
        item.id = listId + "-" + i;
        item.className = "list-group-item list-group-item-action";
        item.setAttribute("role", "option");
        item.textContent = result.label;
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(result); });
        list.appendChild(item);
      });
      if (!found.length) {
        var none = document.createElement("li");
        none.className = "list-group-item text-muted";
        none.textContent = box.getAttribute("data-none") || "—";
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    var ask = debounce(function (text) {
      var url = box.getAttribute("data-url") + "&q=" + encodeURIComponent(text);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (input.value.trim() === text) { show(data.results || []); } })
        .catch(function () { close(); });
    }, 200);

    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (!multiple && !text) { select.textContent = ""; select.appendChild(new Option("—", "", true, true)); }
      if (text) { ask(text); } else { close(); }
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(active + 1, results.length - 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(results[active]); }
      else if (event.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    drawChips();
  }

  document.querySelectorAll("[data-agency-picker]").forEach(setUp);
})();
