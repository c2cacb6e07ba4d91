// GraphiQL against this server's own endpoint; the bearer token goes in the headers editor
// ({"Authorization": "Bearer ocop_..."}). Everything is served from here (vendor/graphiql/).
(function () {
  "use strict";
  var element = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({ url: element.getAttribute("data-endpoint") });
  var root = ReactDOM.createRoot(element);
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultHeaders: '{"Authorization": "Bearer "}',
    })
  );
})();
