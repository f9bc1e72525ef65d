/**
 * The public keys built into the virtual boards' MCUboot (bootutil_keys[]), as a real build
 * embeds the output of `imgtool getpub`. This is the public half of keys/dev-rsa-2048.pem, the
 * repository's DEVELOPMENT key: fine for the virtual device and demos, never for products.
 */
export const DEV_RSA_2048_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzkWf+ZU67aLY1cxGukXi
su+Pk1o7Tsw5aujisEbrRQznMwWpIT91Qv+MM1uZpgBWXEsLlO91SdvcFWwEhqmg
AQu/66rKhwuJELaXvZCBd1gZHoLT3FY0BpQVQ1tH6NB3R03J6EPJ3qTyfpdd0M5B
A2TXiX11xFlETKtHBTCb0bzZyVSVl7o8qtoI3EGYqcoNzxngx21nLxY8r7QGEaku
5obXqOb7GLwzuAiZUTpCjb+Ie9K1o/zUubXs7hxMrjF2pCTKMVk6/bNTjo1r/SZ7
54+HTzdyrpbvPTqc0b1G/4ke8DLXyWjG5TP0Fn4n8FkvCBW+UcnG/ACclgI9NHx3
nwIDAQAB
-----END PUBLIC KEY-----
`;
