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
    root.querySelectorAll("time[datetime]:not([data-date-only])").forEach(function (el) {
      const when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      el.title = el.getAttribute("datetime").replace("T", " ").replace(/\.\d+/, "").replace("Z", " UTC");
      el.textContent = fmt.format(when);
    });
  }

  // The live feed. The browser's EventSource reconnects by itself after a
  // dropped connection, but gives up for good on an error answer (a 503 while
  // Redis restarts): then a new one is opened after a pause, from the last
  // alert shown, the pause doubling up to a minute.
  const FIRST_PAUSE_MS = 2000, LONGEST_PAUSE_MS = 60000;

  function startLive(feed) {
    const base = feed.dataset.live;
    if (!base || !window.EventSource) return;
    const status = document.getElementById("live-status");
    const initial = status.textContent;
    let fresh = 0, lastId = null, pause = FIRST_PAUSE_MS;

    function counted() {
      status.textContent = fresh
        ? fresh + " new alert" + (fresh === 1 ? "" : "s") + " since this page opened."
        : initial;
    }

    function connect() {
      const url = new URL(base, window.location.href);
      if (lastId) url.searchParams.set("after", lastId);
      const source = new EventSource(url.toString());
      source.addEventListener("alert", function (event) {
        if (event.lastEventId) lastId = event.lastEventId;
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
        counted();
      });
      source.addEventListener("open", function () {
        feed.dataset.connected = "yes";
        pause = FIRST_PAUSE_MS;
        counted();
      });
      source.addEventListener("error", function () {
        feed.dataset.connected = "no";
        if (source.readyState !== EventSource.CLOSED) {
          status.textContent = "Live updates interrupted: reconnecting…";
          return;  // the browser tries again by itself
        }
        // An error answer: signed out (401) is said as such, not retried for
        // ever; anything else (a 503 while Redis restarts) is tried again.
        const probe = new AbortController();
        fetch(url.toString(), {signal: probe.signal, credentials: "same-origin"}).then(function (reply) {
          probe.abort();
          if (reply.status === 401) {
            status.textContent = "Live updates stopped: you are signed out. ";
            const again = document.createElement("a");
            again.href = "/signin?next=" + encodeURIComponent(window.location.pathname + window.location.search);
            again.textContent = "Sign in again";
            status.appendChild(again);
            return;
          }
          retry();
        }, retry);
      });

      function retry() {
        status.textContent = "Live updates interrupted: trying again in " + Math.round(pause / 1000) + " s…";
        window.setTimeout(connect, pause);
        pause = Math.min(pause * 2, LONGEST_PAUSE_MS);
      }
    }
    connect();
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
