import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import test from 'ava';

// The committed reports in etc/ are the SDK's public API. A change to an exported name or type
// that is not in them fails here: run `npm run api:update -w @teeka/plugin-sdk`, review the diff of
// etc/*.api.md (a removal or a narrowing is a breaking change: see CHANGELOG.md) and commit it.
for (const config of ['api-extractor.json', 'api-extractor.testing.json']) {
  test(`the public API matches the committed report (${config})`, (t) => {
    const path = fileURLToPath(new URL(`../../${config}`, import.meta.url));
    const messages: string[] = [];
    const result = Extractor.invoke(ExtractorConfig.loadFileAndPrepare(path), {
      localBuild: false,
      messageCallback: (message) => {
        message.handled = true;
        if (message.logLevel === 'error' || message.logLevel === 'warning') messages.push(message.text);
      },
    });
    t.false(
      result.apiReportChanged,
      `the API changed: run npm run api:update -w @teeka/plugin-sdk and commit etc/\n${messages.join('\n')}`,
    );
    t.true(result.succeeded, messages.join('\n'));
  });
}
