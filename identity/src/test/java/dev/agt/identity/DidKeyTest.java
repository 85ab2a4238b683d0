package dev.agt.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DidKeyTest {
    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void theDidKeySpecVectorForTheAllZeroSeed() {
        // w3c-ccg did:key test vectors, ed25519: seed 0x00 * 32
        AgentKey k = AgentKey.fromSeed("zero", new byte[32]);
        assertEquals("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29", HexFormat.of().formatHex(k.publicKey()));
        assertEquals("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp", k.did());
    }

    @Test
    void rfc8032TestVectorOneThroughTheJdk() throws Exception {
        // RFC 8032 section 7.1, TEST 1 (empty message)
        AgentKey k = AgentKey.fromSeed("rfc", hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", HexFormat.of().formatHex(k.publicKey()));
        byte[] sig = k.sign(new byte[0]);
        assertEquals("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
                HexFormat.of().formatHex(sig));
        assertTrue(DidKey.verify(k.did(), new byte[0], sig));
        assertFalse(DidKey.verify(k.did(), new byte[] {0}, sig));
        sig[10] ^= 1;
        assertFalse(DidKey.verify(k.did(), new byte[0], sig));
    }

    @Test
    void aPublishedPublicKeyAndItsDid() throws Exception {
        // publicKeyBase58 8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K as published with this did:key
        byte[] pub = Base58.decode("8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K", 0);
        assertEquals("did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th", DidKey.of(pub));
        assertArrayEquals(pub, DidKey.publicKey("did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th"));
    }

    @Test
    void randomKeysRoundTripAndSignaturesVerifyOnlyForTheirKey() throws Exception {
        Random r = new Random(7);
        for (int i = 0; i < 50; i++) {
            byte[] seed = new byte[32];
            r.nextBytes(seed);
            AgentKey k = AgentKey.fromSeed("k" + i, seed);
            assertArrayEquals(k.publicKey(), DidKey.publicKey(k.did()));
            assertEquals(k.did(), DidKey.of(DidKey.publicKey(k.did())));
            byte[] msg = ("message " + i).getBytes(StandardCharsets.UTF_8);
            assertTrue(DidKey.verify(k.did(), msg, k.sign(msg)));
            AgentKey other = AgentKey.generate("other");
            assertFalse(DidKey.verify(other.did(), msg, k.sign(msg)), "another key's DID must not verify");
        }
    }

    @Test
    void badDidsAreRefusedWithAReason() {
        String good = AgentKey.generate("g").did();
        assertBad(null, "is empty");
        assertBad("", "is empty");
        assertBad("did:web:example.com", "does not start with 'did:key:'");
        assertBad("did:key:" + good.substring(9), "base58btc multibase");
        assertBad("did:key:m" + good.substring(9), "base58btc multibase");
        // 'l' is not base58: the column counts from the start of the DID
        assertBad(good.substring(0, 20) + "l" + good.substring(21), "has 'l' at column 21");
        byte[] shortKey = new byte[33];
        shortKey[0] = (byte) 0xed;
        shortKey[1] = 0x01;
        shortKey[2] = 9;
        assertBad("did:key:z" + Base58.encode(shortKey), "carries 31 key bytes");
        byte[] longKey = java.util.Arrays.copyOf(shortKey, 36);
        longKey[35] = 9;
        assertBad("did:key:z" + Base58.encode(longKey), "carries 34 key bytes");
        // a secp256k1 multicodec (0xe7 0x01)
        byte[] k = new byte[35];
        k[0] = (byte) 0xe7;
        k[1] = 0x01;
        k[2] = 2;
        assertBad("did:key:z" + Base58.encode(k), "multicodec prefix 0xe7 0x01");
        assertBad("did:key:z" + "2".repeat(200), "too long");
    }

    @Test
    void keysOfSmallOrderAndNonCanonicalPointsAreRefused() {
        assertBad(DidKey.of(new byte[32]), "small order");
        byte[] one = new byte[32];
        one[0] = 1;
        assertBad(DidKey.of(one), "small order");
        assertBad(DidKey.of(hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")), "small order");
        // y = p (non-canonical encoding of y = 0)
        assertBad(DidKey.of(hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), "non-canonical");
    }

    static void assertBad(String did, String why) {
        IdentityException e = assertThrows(IdentityException.class, () -> DidKey.publicKey(did));
        assertEquals(IdentityException.BAD_DID, e.code());
        assertTrue(e.getMessage().contains(why), e.getMessage());
    }
}
