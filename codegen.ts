import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for every operation the pages (web/src/operations) and the contract
 * (examples/operations) use: `npm run codegen`. CODEGEN_OUT lets tests/unit/codegen.test.ts
 * generate into a temporary folder and compare with the committed files.
 */
const out = process.env.CODEGEN_OUT ?? 'web/src/gql/';

const config: CodegenConfig = {
  schema: 'schema/*.graphql',
  documents: ['web/src/operations/*.graphql', 'examples/operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    [out]: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        scalars: { Date: 'string', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
      },
    },
  },
};

export default config;
