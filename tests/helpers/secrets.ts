/** Test secrets: fixed, so failures reproduce; never used outside tests. */
export const TEST_ID_HASH_SECRET = 'test-id-hash-secret-0123456789abcdef';
