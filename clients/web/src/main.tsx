/** Entry point: styles, link interception, the service worker (offline shell), and the app. */
import { render } from "preact";
import { App } from "./app";
import { interceptLinks } from "./router";
import "./style.css";

interceptLinks();
render(<App />, document.getElementById("app")!);

if ("serviceWorker" in navigator && location.protocol !== "file:") {
  addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js").catch(() => {
      // no offline shell (e.g. plain http on a non-local host): the app works without it
    });
  });
}
