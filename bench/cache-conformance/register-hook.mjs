// Loaded with `node --import`: installs resolve-undici.mjs before the suite's client starts.
import { register } from "node:module";

register(new URL("./resolve-undici.mjs", import.meta.url));
