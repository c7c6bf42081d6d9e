/* OdooAspire stand-in (not Odoo), bundled as web.assets_frontend_minimal: proves in the DOM that both bundles arrived. */
(function () {
    "use strict";
    // A deferred script runs after the page is parsed and its stylesheets are loaded, so the computed style is final.
    var form = document.querySelector(".oe_login_form");
    var styled = form !== null && getComputedStyle(form).getPropertyValue("--o-stand-in-stylesheet").trim() === "applied";
    document.body.setAttribute("data-stand-in-assets", styled ? "stylesheet script" : "script");
})();
