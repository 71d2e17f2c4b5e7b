/* saferoute kiosk: enhancement only.  Every page works without this file.
 *  - Escape = Quick exit (submits the same POST form as the button).
 *  - Idle: a visible countdown from the warning time, then the wipe
 *    (/timeout); typing or touching restarts the clock and tells the
 *    server (POST /keepalive), so a long message is not lost.
 *  - Text size: changes at once, and the server remembers it. */
(function () {
  "use strict";
  var body = document.body;
  var exitForm = document.querySelector("form.quick-exit");
  var csrfInput = exitForm ? exitForm.querySelector("input[name=csrf]") : null;
  var csrf = csrfInput ? csrfInput.value : "";

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && exitForm) {
      event.preventDefault();
      exitForm.submit();
    }
  });

  function post(url, fields) {
    var data = new URLSearchParams();
    data.set("csrf", csrf);
    Object.keys(fields || {}).forEach(function (k) { data.set(k, fields[k]); });
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store"
    }).catch(function () {});
  }

  /* Text size without a page load. */
  var sizeForm = document.querySelector("form.text-size");
  if (sizeForm) {
    sizeForm.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=size]");
      if (!button) return;
      event.preventDefault();
      var size = button.value;
      var root = document.documentElement;
      root.classList.remove("size-normal", "size-large", "size-larger");
      root.classList.add("size-" + size);
      sizeForm.querySelectorAll("button[name=size]").forEach(function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      post("/text-size", { size: size, back: "/" });
    });
  }

  /* The idle clock. */
  var warning = parseInt(body.getAttribute("data-idle-warning") || "0", 10);
  var timeout = parseInt(body.getAttribute("data-idle-timeout") || "0", 10);
  var countdown = document.querySelector(".countdown[data-seconds]");

  if (countdown) {
    /* The no-JavaScript idle page: count down to the wipe it will do. */
    var left = parseInt(countdown.getAttribute("data-seconds"), 10);
    var tick = function () {
      countdown.textContent = String(left);
      if (left <= 0) { window.location.replace("/timeout"); return; }
      left -= 1;
      window.setTimeout(tick, 1000);
    };
    tick();
    return;
  }
  if (!(warning > 0 && timeout > warning)) return;

  var last = Date.now();
  var lastPing = last;
  var overlay = null;
  var overlayCount = null;

  function buildOverlay() {
    var template = document.getElementById("idle-template");
    overlay = document.createElement("div");
    overlay.className = "idle-overlay";
    overlay.hidden = true;
    overlay.setAttribute("role", "alertdialog");
    overlay.setAttribute("aria-modal", "true");
    var box = document.createElement("div");
    box.className = "idle-box";
    var title = document.createElement("h2");
    title.id = "idle-title";
    title.textContent = template ? template.getAttribute("data-title") : "";
    overlay.setAttribute("aria-labelledby", "idle-title");
    overlayCount = document.createElement("p");
    overlayCount.className = "countdown";
    overlayCount.setAttribute("aria-live", "polite");
    var stay = document.createElement("button");
    stay.type = "button";
    stay.className = "button primary";
    stay.textContent = template ? template.getAttribute("data-stay") : "OK";
    stay.addEventListener("click", activity);
    box.appendChild(title);
    box.appendChild(overlayCount);
    box.appendChild(stay);
    overlay.appendChild(box);
    body.appendChild(overlay);
  }

  function activity() {
    var now = Date.now();
    last = now;
    if (overlay && !overlay.hidden) overlay.hidden = true;
    /* Tell the server at most every 15 s, so its own expiry follows. */
    if (now - lastPing > 15000) {
      lastPing = now;
      post("/keepalive", {});
    }
  }

  ["keydown", "pointerdown", "input", "scroll", "touchstart"].forEach(function (type) {
    document.addEventListener(type, activity, { passive: true });
  });

  window.setInterval(function () {
    var idle = (Date.now() - last) / 1000;
    if (idle >= timeout) {
      window.location.replace("/timeout");
      return;
    }
    if (idle >= warning) {
      if (!overlay) buildOverlay();
      if (overlay.hidden) {
        overlay.hidden = false;
        overlay.querySelector("button").focus();
      }
      overlayCount.textContent = String(Math.ceil(timeout - idle));
    }
  }, 500);
})();
