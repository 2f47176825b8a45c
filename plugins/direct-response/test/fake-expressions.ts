import { fakeExpressions as fakeSdkExpressions } from "@portcullis/sdk/testing";

/** The SDK's expression fake, with "(((" marking a source that does not compile. */
export const fakeExpressions = (results: Record<string, string>) => fakeSdkExpressions(results, (source) => source.includes("((("));
