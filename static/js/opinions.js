// Opinion pages, progressive enhancement only: every page works without this script.
(function () {
  "use strict";

  // Live character counters: <p data-counter-for="body"> next to a textarea with
  // data-maxlength. Counted in code points, as the server counts.
  function length(text) {
    return Array.from(text.replace(/\r\n/g, "\n").trim()).length;
  }

  function updateCounter(counter, field) {
    var limit = parseInt(field.getAttribute("data-maxlength"), 10);
    var used = length(field.value);
    var over = used - limit;
    // The wording comes from the page (translated there): {used}, {over}, {limit}.
    var template = counter.getAttribute(over > 0 ? "data-text-over" : "data-text") || "{used} / {limit}";
    counter.textContent = template.replace("{used}", used).replace("{over}", over).replace("{limit}", limit);
    counter.classList.toggle("counter-over", over > 0);
    counter.classList.toggle("counter-near", over <= 0 && used > limit * 0.9);
  }

  function setUpCounters(root) {
    var counters = root.querySelectorAll("[data-counter-for]");
    Array.prototype.forEach.call(counters, function (counter) {
      var field = document.getElementById(counter.getAttribute("data-counter-for"));
      if (!field || !field.hasAttribute("data-maxlength")) return;
      // Announce on pause rather than on every keystroke.
      counter.setAttribute("aria-live", "off");
      var timer = null;
      field.addEventListener("input", function () {
        updateCounter(counter, field);
        counter.setAttribute("aria-live", "off");
        clearTimeout(timer);
        timer = setTimeout(function () { counter.setAttribute("aria-live", "polite"); }, 800);
      });
      updateCounter(counter, field);
    });
  }

  // A second click while the first submission is on its way does nothing (the server
  // would store it once anyway); re-enabled when the page comes back from history.
  function setUpSubmitOnce() {
    document.addEventListener("submit", function (event) {
      var button = event.target.querySelector("[data-submit-once]");
      if (!button || event.defaultPrevented) return;
      if (button.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        return;
      }
      button.setAttribute("aria-disabled", "true");
      button.classList.add("is-busy");
    });
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(document.querySelectorAll("[data-submit-once]"), function (button) {
        button.removeAttribute("aria-disabled");
        button.classList.remove("is-busy");
      });
    });
  }

  // "加载更多": fetch the next page as an HTML fragment and append its items; the
  // link itself works as a plain link to the next page.
  function setUpLoadMore() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest("[data-load-more]");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
      var list = document.querySelector("[data-opinion-list]");
      var nav = link.closest("[data-load-more-nav]");
      if (!list || !nav || !window.fetch || !window.DOMParser) return;
      event.preventDefault();
      if (link.classList.contains("is-busy")) return;
      link.classList.add("is-busy");
      var url = new URL(link.href, window.location.href);
      url.searchParams.set("fragment", "1");
      fetch(url.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.text();
        })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var items = doc.querySelectorAll("[data-opinion-list] > li");
          var first = null;
          Array.prototype.forEach.call(items, function (item) {
            var node = document.importNode(item, true);
            list.appendChild(node);
            if (!first) first = node;
          });
          var nextNav = doc.querySelector("[data-load-more-nav]");
          nav.replaceWith(nextNav ? document.importNode(nextNav, true) : document.createElement("span"));
          if (first) {
            first.setAttribute("tabindex", "-1");
            first.focus({ preventScroll: true });
          }
        })
        .catch(function () {
          // Fall back to the plain link.
          window.location.href = link.href;
        });
    });
  }

  setUpCounters(document);
  setUpSubmitOnce();
  setUpLoadMore();
})();
