// Emscripten JS library: the module's one import for agent requests. The host
// library installs Module.aragHostFetch before the first recommendation.
mergeInto(LibraryManager.library, {
  arag_host_fetch: function (engine, session, requestId, ptr, len) {
    Module['aragHostFetch'](engine, session, requestId, ptr, len);
  },
});
