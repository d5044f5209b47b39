// What a donor writes stays in this tab's own storage (sessionStorage: never sent anywhere,
// gone when the tab closes) until the card is sent, so that a reload, Back and Forward or
// a page that failed never takes it away. Without this file the form post carries it.
(function () {
  "use strict";
  var PREFIX = "cardsapp:draft:";
  var store = null;
  try { store = window.sessionStorage; } catch (e) { store = null; }

  // The thanks page: the card is sent, its draft is no longer needed.
  if (document.getElementById("sent-card")) {
    if (store) {
      for (var i = store.length - 1; i >= 0; i -= 1) {
        var name = store.key(i);
        if (name && name.indexOf(PREFIX) === 0) { store.removeItem(name); }
      }
    }
    return;
  }

  // After a refusal the page opens at the summary; focus makes a screen reader start there.
  // Again once loaded: Chromium clears focus when it scrolls to the page's #fragment.
  var problems = document.getElementById("problems");
  if (problems) {
    problems.focus();
    window.addEventListener("load", function () {
      window.setTimeout(function () {
        if (document.activeElement === document.body) { problems.focus(); }
      }, 0);
    });
  }

  var form = document.getElementById("write-form");
  if (!form || !store || !window.JSON) { return; }
  var key = PREFIX + window.location.pathname;
  var message = form.elements.message;
  var signature = form.elements.signature;
  var recipient = form.elements.recipient;
  var token = form.elements.draft_token;

  function checkedDesign() {
    var chosen = form.querySelector("input[name=design]:checked");
    return chosen ? chosen.value : "";
  }

  function save() {
    var option = recipient && recipient.selectedIndex >= 0 ? recipient.options[recipient.selectedIndex] : null;
    var draft = {
      design: checkedDesign(),
      message: message.value,
      signature: signature.value,
      recipient: option ? option.value : "",
      recipientLabel: option ? option.text : "",
      token: token ? token.value : ""
    };
    try { store.setItem(key, JSON.stringify(draft)); } catch (e) { /* storage full or off */ }
  }

  function restore() {
    var draft = null;
    try { draft = JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
    if (!draft || (!draft.message && !draft.signature)) { return; }
    // The server brought a draft back itself (a refusal, another language): it is the same.
    if (message.value.trim() || signature.value.trim()) { return; }
    message.value = draft.message || "";
    signature.value = draft.signature || "";
    var design = form.querySelector("input[name=design][value='" + String(draft.design).replace(/[^\w-]/g, "") + "']");
    if (design) { design.checked = true; }
    if (recipient && draft.recipient) {
      var found = Array.prototype.some.call(recipient.options, function (option) {
        return option.value === draft.recipient;
      });
      if (!found) {
        // Chosen from a search earlier: the short list does not hold her, add her back.
        var option = document.createElement("option");
        option.value = draft.recipient;
        option.text = draft.recipientLabel || draft.recipient;
        recipient.appendChild(option);
      }
      recipient.value = draft.recipient;
    }
    // The same token: sending this draft again finds the card if it was sent after all.
    if (token && draft.token) { token.value = draft.token; }
  }

  restore();
  save();
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", save);
  window.addEventListener("pagehide", save);
}());
