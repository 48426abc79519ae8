// Watchfloor console: local times, the live feed (server-sent events) and keyboard keys.
// Everything works without this file; it only adds.
"use strict";
(function () {
  const fmt = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    timeZoneName: "short",
  });

  // Times are sent in UTC; show them in the reader's zone, the UTC value on hover.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.title = el.getAttribute("datetime").replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC");
      el.textContent = fmt.format(when);
    });
  }

  function startLive(feed) {
    const url = feed.dataset.live;
    if (!url || !window.EventSource) return;
    const status = document.getElementById("live-status");
    const source = new EventSource(url);
    let fresh = 0;
    source.addEventListener("alert", function (event) {
      const holder = document.createElement("div");
      holder.innerHTML = event.data;  // server-rendered, escaped HTML of one alert
      const card = holder.firstElementChild;
      if (!card || document.getElementById(card.id)) return;  // already shown
      const empty = feed.querySelector(".empty");
      if (empty) empty.remove();
      card.classList.add("fresh");
      localTimes(card);
      feed.prepend(card);
      fresh += 1;
      status.textContent = fresh + " new alert" + (fresh === 1 ? "" : "s") + " since this page opened.";
    });
    source.addEventListener("open", function () { feed.dataset.connected = "yes"; });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) status.textContent = "Live updates stopped: reload the page.";
    });
  }

  // j/k: next/previous alert; a: acknowledge it; s: its story; /: search.
  function keys(event) {
    const target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    const cards = Array.from(document.querySelectorAll("article.alert, .version > article"));
    const current = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("article.alert, .version > article") : null;
    const at = cards.indexOf(current);
    if (event.key === "j" || event.key === "k") {
      const next = cards[event.key === "j" ? at + 1 : Math.max(at - 1, 0)];
      if (next) { next.focus(); next.scrollIntoView({ block: "nearest" }); event.preventDefault(); }
    } else if ((event.key === "a" || event.key === "s") && current) {
      const control = current.querySelector('[data-key="' + event.key + '"]');
      if (control) { control.click(); event.preventDefault(); }
    } else if (event.key === "/") {
      const search = document.querySelector('[data-key="/"]');
      if (search) { search.focus(); event.preventDefault(); }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    const feed = document.getElementById("alerts");
    if (feed) startLive(feed);
    document.addEventListener("keydown", keys);
    const summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    else if (location.hash === "#trial" || document.getElementById("trial-title")) {
      const trial = document.getElementById("trial-title");
      if (trial) trial.focus();
    }
  });
})();
