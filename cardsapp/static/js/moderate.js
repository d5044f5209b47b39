// The moderation queue without reloading: j/k move, a approves, r rejects.
// Everything works without this file too: the forms post and the page reloads.
(function () {
  "use strict";
  var queue = document.getElementById("queue");
  if (!queue) { return; }

  function cards() {
    return Array.prototype.slice.call(queue.querySelectorAll(".queue-card:not(.decided)"));
  }

  var current = null;

  function select(card, quiet) {
    if (!card) { return; }
    if (current) { current.classList.remove("current"); }
    current = card;
    card.classList.add("current");
    if (quiet) { return; }
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "start", behavior: "instant" });
  }

  function move(step) {
    var list = cards();
    if (!list.length) { return; }
    var index = list.indexOf(current);
    if (index < 0) { select(list[0]); return; }
    select(list[Math.min(Math.max(index + step, 0), list.length - 1)]);
  }

  function nextAfter(card) {
    var list = cards();
    var index = list.indexOf(card);
    return list[index + 1] || list[index - 1] || null;
  }

  function decide(form) {
    var card = form.closest(".queue-card");
    var outcome = card.querySelector(".outcome");
    var body = new FormData(form);
    card.classList.add("busy");
    // form.action would be the <input name="action">, not the URL.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    }).then(function (answer) {
      card.classList.remove("busy");
      outcome.textContent = answer.data.message || "";
      if (answer.data.waiting) { document.getElementById("waiting").textContent = answer.data.waiting; }
      if (answer.status === 200 || answer.status === 409) {
        var following = nextAfter(card);
        card.classList.add("decided", answer.data.status === "rejected" ? "was-rejected" : "was-approved");
        Array.prototype.forEach.call(card.querySelectorAll("form.decision"), function (f) { f.hidden = true; });
        if (following) { select(following); }
      } else {
        outcome.classList.add("error");
      }
    }).catch(function () {
      // The network failed: fall back to an ordinary post.
      card.classList.remove("busy");
      form.submit();
    });
  }

  queue.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList.contains("decision")) { return; }
    var reason = form.querySelector("select[name=reason]");
    if (reason && !reason.value) {
      event.preventDefault();
      reason.focus();
      return;
    }
    event.preventDefault();
    decide(form);
  });

  queue.addEventListener("click", function (event) {
    var card = event.target.closest(".queue-card");
    if (card && !card.classList.contains("decided") && card !== current) { select(card); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var typing = target.matches("input, textarea, select");
    if (typing) {
      if (event.key === "Escape") { target.blur(); if (current) { current.focus(); } }
      if (event.key === "Enter" && target.matches("select[name=reason]")) {
        event.preventDefault();
        target.form.requestSubmit();
      }
      return;
    }
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "a" && current) {
      current.querySelector("form.decision.approve").requestSubmit();
      event.preventDefault();
    } else if (event.key === "r" && current) {
      current.querySelector("form.decision.reject select[name=reason]").focus();
      event.preventDefault();
    }
  });

  select(cards()[0], true);
})();
