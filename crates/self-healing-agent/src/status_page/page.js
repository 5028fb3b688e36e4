(function () {
  "use strict";
  var body = document.body;
  var secs = Number(body.getAttribute("data-refresh-secs")) || 5;
  var main = document.getElementById("main");
  var outcome = document.getElementById("outcome");
  var stamp = document.getElementById("refreshed");
  var KEY = "self-healing-token";
  // Served without data (beyond loopback, no token sent): the body comes from status/page.json.
  var locked = body.hasAttribute("data-locked");
  var declined = false;
  function measure() {
    var root = document.documentElement;
    body.setAttribute("data-scroll-width", String(root.scrollWidth));
    body.setAttribute("data-client-width", String(root.clientWidth));
  }
  function headers() {
    var token = sessionStorage.getItem(KEY);
    return token ? { Authorization: "Bearer " + token } : {};
  }
  function askToken(why) {
    var token = window.prompt(why + " (kept for this browser session only):");
    if (token) { sessionStorage.setItem(KEY, token); } else { declined = true; }
    return token;
  }
  function refresh() {
    fetch("status/page.json", { cache: "no-store", headers: headers() })
      .then(function (r) {
        if (r.status === 401 && locked) {
          sessionStorage.removeItem(KEY);
          if (!declined && askToken("Wrong or missing token. Status token (HEALING_HTTP_TOKEN)")) { refresh(); }
          throw new Error("token needed: reload the page to enter it");
        }
        if (r.status === 403 && locked) { throw new Error("the server has no HEALING_HTTP_TOKEN set"); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (page) {
        main.innerHTML = page.html;
        stamp.textContent = "updated " + new Date().toLocaleTimeString();
        measure();
      })
      .catch(function (e) { stamp.textContent = "refresh failed (" + e.message + "); retrying"; });
  }
  function control(verb, agent) {
    var token = sessionStorage.getItem(KEY);
    if (!token) {
      token = askToken("Control token");
      if (!token) { outcome.textContent = verb + " " + agent + ": cancelled, no token"; return; }
      sessionStorage.setItem(KEY, token);
    }
    if (verb === "stop" && !window.confirm("Stop " + agent + "? It stays stopped until started.")) { return; }
    outcome.className = "";
    outcome.textContent = verb + " " + agent + "…";
    fetch("control/" + encodeURIComponent(verb) + "/" + encodeURIComponent(agent), {
      method: "POST", cache: "no-store", headers: { Authorization: "Bearer " + token }
    }).then(function (r) {
      return r.text().then(function (text) {
        if (r.status === 401) { sessionStorage.removeItem(KEY); }
        var said = text;
        try { var reply = JSON.parse(text); said = reply.message || reply.outcome || text; } catch (e) { /* plain text */ }
        outcome.className = r.ok ? "ok" : "bad";
        outcome.textContent = verb + " " + agent + ": " + (r.ok ? "" : "HTTP " + r.status + ": ") + String(said).slice(0, 300);
        refresh();
      });
    }).catch(function (e) {
      outcome.className = "bad";
      outcome.textContent = verb + " " + agent + ": failed (" + e.message + ")";
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-verb]") : null;
    if (button) { control(button.getAttribute("data-verb"), button.getAttribute("data-agent")); }
  });
  window.addEventListener("resize", measure);
  measure();
  stamp.textContent = "loaded " + new Date().toLocaleTimeString();
  if (locked) {
    if (!sessionStorage.getItem(KEY)) { askToken("Status token (HEALING_HTTP_TOKEN)"); }
    refresh();
  }
  window.setInterval(refresh, secs * 1000);
})();
