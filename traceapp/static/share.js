/* Copy-link button for links marked data-copy (the page works without it: the link stays). */
(function () {
  "use strict";
  if (!navigator.clipboard) { return; }
  document.querySelectorAll("a[data-copy]").forEach(function (link) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = link.getAttribute("data-copy");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(link.href).then(function () {
        button.textContent = link.getAttribute("data-copied");
      });
    });
    link.parentNode.appendChild(document.createTextNode(" "));
    link.parentNode.appendChild(button);
  });
}());
