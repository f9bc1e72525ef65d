/**
 * The public keys built into the virtual boards' MCUboot (bootutil_keys[]), as a real build
 * embeds the output of `imgtool getpub`: the public halves of keys/dev-rsa-2048.pem and
 * keys/dev-ecdsa-p256.pem, the repository's DEVELOPMENT keys, one per signature type the boards
 * use: fine for the virtual device and demos, never for products.
 */
import type { SignatureType } from './board.ts';

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

/** Public half of keys/dev-ecdsa-p256.pem (`zdfu getpub -e pem`). */
export const DEV_ECDSA_P256_PUBLIC_PEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAERgeTWIzu2zJqa7qsIWRaMscFVYqP
wagLVojGET3xwNJx9yC7bg/m2p8cRlKncch8AQH63b3CUevNKPV38K5tKw==
-----END PUBLIC KEY-----
`;

/** The development key pair of each signature type a virtual board's MCUboot may be built for. */
export const DEV_KEYS: Readonly<Partial<Record<SignatureType, { file: string; publicPem: string }>>> = {
  'rsa-2048': { file: 'keys/dev-rsa-2048.pem', publicPem: DEV_RSA_2048_PUBLIC_PEM },
  'ecdsa-p256': { file: 'keys/dev-ecdsa-p256.pem', publicPem: DEV_ECDSA_P256_PUBLIC_PEM },
};
