import { expect, it } from "vitest";
import { policy } from "./unit-helpers.js";

it("pii-guard buffers the request body only when it scans it", async () => {
  const scanning = await policy({ detectors: { ssn: "block" } });
  expect(scanning.initInfo).toEqual({ requestBody: "whole", responseBody: "none" }); // scan.response is off by default
  const headersOnly = await policy({ detectors: { ssn: "block" }, scan: { body: false, headers: ["x-note"] } });
  expect(headersOnly.initInfo).toEqual({ requestBody: "none", responseBody: "none" });
});
