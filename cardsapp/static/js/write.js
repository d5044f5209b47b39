// The writing page without reloads: a live character count and a live preview.
// Progressive enhancement only: without this file the Preview button does the same by a full page.

// Characters as the server counts them: cardsapp/domain/text.py normalises the message
// (normalise_text) and counts grapheme clusters. The counter must say what the error will
// say, to the character (tests/unit/test_counter_agreement.py runs both on random messages).
(function (root) {
  "use strict";
  var NEWLINES = /\r\n|[\r\x85\u2028\u2029\x0b\x0c]/g;
  var SPACES = /[\t\u1680\u2000-\u200a\u202f\u205f\u3000 ]+/g;
  var LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/;
  var segmenter = root.Intl && Intl.Segmenter ? new Intl.Segmenter("en", { granularity: "grapheme" }) : null;

  function normalise(text) {
    text = text.replace(NEWLINES, "\n").replace(/\u00ad/g, "");
    if (LONE_SURROGATE.test(text)) { return text; }
    text = text.normalize ? text.normalize("NFC") : text;
    text = text.split("\n").map(function (line) {
      return line.replace(SPACES, " ").replace(/^ +| +$/g, "");
    }).join("\n");
    return text.replace(/^\n+|\n+$/g, "").replace(/\n{3,}/g, "\n\n");
  }

  function characters(text) {
    text = normalise(text);
    if (segmenter) {
      var n = 0;
      for (var _ of segmenter.segment(text)) { n += 1; }
      return n;
    }
    return Array.from(text).length;
  }

  root.cardsappText = { normalise: normalise, characters: characters };
}(typeof window !== "undefined" ? window : globalThis));

(function () {
  "use strict";
  var form = document.getElementById("write-form");
  if (!form || !window.fetch || !window.FormData) { return; }

  var message = document.getElementById("message");
  var signature = document.getElementById("signature");
  var count = document.getElementById("message-count");
  var image = document.getElementById("preview-image");
  var placeholder = document.getElementById("preview-placeholder");
  var frame = document.getElementById("preview");
  var formError = document.getElementById("form-error");
  var maxLength = parseInt(form.dataset.maxLength, 10);
  var forms = JSON.parse(form.dataset.countForms);
  var language = form.dataset.language || "en";
  var plurals = window.Intl && Intl.PluralRules ? new Intl.PluralRules(language) : null;
  var FIELDS = ["design", "message", "signature", "recipient"];

  var characters = window.cardsappText.characters;

  function sentence(kind, n) {
    var category = plurals ? plurals.select(n) : (n === 1 ? "one" : "other");
    var pattern = forms[kind][category] || forms[kind].other;
    return pattern.replace("{n}", String(n));
  }

  function updateCount() {
    var left = maxLength - characters(message.value);
    count.textContent = left >= 0 ? sentence("left", left) : sentence("over", -left);
    count.classList.toggle("over", left < 0);
  }

  function showErrors(errors) {
    FIELDS.forEach(function (field) {
      var element = document.getElementById(field + "-error");
      var text = errors[field] || "";
      if (element) {
        element.textContent = text;
        element.hidden = !text;
      }
      var input = document.getElementById(field);
      if (input) {
        if (text) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      }
    });
    formError.textContent = errors.form || "";
    formError.hidden = !errors.form;
  }

  function showImage(blob) {
    var reader = new FileReader();
    // The page's CSP allows 'self' and data: images; blob: URLs are not needed.
    reader.onload = function () {
      image.src = reader.result;
      image.hidden = false;
      placeholder.hidden = true;
      frame.classList.remove("empty");
    };
    reader.readAsDataURL(blob);
  }

  var timer = null;
  var controller = null;
  var sequence = 0;

  function refresh() {
    if (!message.value.trim()) { return; }
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var mine = ++sequence;
    var body = new FormData(form);
    frame.setAttribute("aria-busy", "true");
    fetch(form.dataset.previewUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {
        "X-CSRFToken": form.elements.csrf_token.value,
        "X-Requested-With": "fetch",
        "Accept": "image/jpeg, application/json"
      },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (mine !== sequence) { return null; }
      if (response.ok) {
        return response.blob().then(function (blob) {
          if (mine !== sequence) { return; }
          showErrors({});
          showImage(blob);
        });
      }
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === 0) {
        return response.json().then(function (data) {
          if (mine === sequence) { showErrors(data.errors || {}); }
        });
      }
      showErrors({ form: form.dataset.previewFailed });
      return null;
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      showErrors({ form: form.dataset.previewFailed });
    }).then(function () {
      if (mine === sequence) { frame.removeAttribute("aria-busy"); }
    });
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 600);
  }

  message.addEventListener("input", function () { updateCount(); schedule(); });
  signature.addEventListener("input", schedule);
  Array.prototype.forEach.call(form.querySelectorAll("input[name=design], select[name=recipient]"), function (input) {
    input.addEventListener("change", schedule);
  });
  placeholder.textContent = form.dataset.livePlaceholder;
  updateCount();
  if (message.value.trim() && image.hidden) { refresh(); }
}());
