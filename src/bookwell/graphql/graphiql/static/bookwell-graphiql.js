// Bookwell's GraphiQL page (bookwell/graphiql/page.py): React, ReactDOM and GraphiQL are the
// globals of the UMD builds loaded before this file. No inline script: the page's CSP is
// script-src 'self'.
(function () {
  "use strict";

  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.dataset.endpoint, window.location.href);
  var socket = new URL(endpoint.href);
  socket.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";

  // Queries and mutations: POST to /graphql with the headers editor's headers.
  // Subscriptions: graphql-ws (inside GraphiQL's UMD build), protocol graphql-transport-ws,
  // one connection per subscription whose connection_init payload is the headers editor's
  // JSON: {"Authorization": "Bearer <token>"} signs it in, as that header does over HTTP.
  var fetcher = GraphiQL.createFetcher({
    url: endpoint.href,
    subscriptionUrl: socket.href,
  });

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: root.dataset.query,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: "headers",
    }),
  );
})();
