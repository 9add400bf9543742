// A Worker that imports the host library's plain entry (not the "workerd" one) and loads
// the module with no `wasm`: the error must say what to pass.
import { createArag } from '../../dist/index.mjs';

export default {
  async fetch() {
    try {
      await createArag();
      return Response.json({ ok: true });
    } catch (e) {
      return Response.json({ name: e.name, code: e.code, message: e.message });
    }
  },
};
