package dev.agt.audit.note;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Keys and signatures stay byte-compatible: the RFC 8032 vectors through the note signer, and a
 * key pair and a signed checkpoint written by an earlier build, which must read, verify and be
 * written again exactly.
 */
class NoteKeysTest {
    /** The RFC 8032 TEST 1 seed under the name agt-golden. */
    static final String SIGNER = "PRIVATE+KEY+agt-golden+62e5548d+AZ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g";
    static final String VERIFIER = "agt-golden+62e5548d+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
    /** Signed by the build that used BouncyCastle for note signatures. */
    static final String CHECKPOINT = """
            agt/golden
            1000
            AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=

            \u2014 agt-golden YuVUjS1EdEAbq+akK8spiAt+8YmlT9UNbowPbrZf7MfEtFNvqYE24m/hcdK+C/hNB9KcfAWIBoSq1Y3fcgW4vREhZAw=
            """;

    static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    @Test
    void rfc8032VectorsThroughTheNoteSigner() throws Exception {
        String[][] vectors = {
            // RFC 8032 section 7.1: TEST 1, TEST 2, TEST 3 (seed, public key, message, signature)
            {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
            {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
            {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
        };
        for (String[] v : vectors) {
            byte[] seed = hex(v[0]);
            byte[] pub = hex(v[1]);
            String keyId = HexFormat.of().formatHex(NoteKeys.keyId("rfc", pub));
            NoteKeys.Signer s = NoteKeys.parseSigner("PRIVATE+KEY+rfc+" + keyId + "+"
                    + java.util.Base64.getEncoder().encodeToString(concat(new byte[] {1}, seed)));
            assertArrayEquals(pub, s.verifier().publicKey(), v[0]);
            byte[] sig = s.sign(hex(v[2]));
            assertEquals(v[3], HexFormat.of().formatHex(sig));
            assertTrue(s.verifier().verify(hex(v[2]), sig));
            sig[0] ^= 1;
            assertFalse(s.verifier().verify(hex(v[2]), sig));
        }
    }

    @Test
    void aKeyPairAndACheckpointFromAnEarlierBuildReadVerifyAndWriteAgain() throws Exception {
        NoteKeys.Signer s = NoteKeys.parseSigner(SIGNER);
        assertEquals(SIGNER, s.encode());
        assertEquals(VERIFIER, s.verifier().encode());
        NoteKeys.Verifier v = NoteKeys.parseVerifier(VERIFIER);
        Checkpoint c = Checkpoint.open(CHECKPOINT, v);
        assertEquals(1000, c.size());
        assertEquals(CHECKPOINT, c.sign(s), "Ed25519 is deterministic: the same key signs the same bytes");
        String forged = CHECKPOINT.replace("\n1000\n", "\n1001\n");
        assertEquals("bad-signature", assertThrows(Checkpoint.NoteException.class, () -> Checkpoint.open(forged, v)).kind());
    }

    @Test
    void newKeysSignAndVerifyAndOnlyTheirOwnSignaturesVerify() throws Exception {
        NoteKeys.Signer a = NoteKeys.generate("a");
        NoteKeys.Signer b = NoteKeys.generate("b");
        byte[] msg = "checkpoint body\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(a.verifier().verify(msg, a.sign(msg)));
        assertFalse(b.verifier().verify(msg, a.sign(msg)));
        assertEquals(a.encode(), NoteKeys.parseSigner(a.encode()).encode(), "a generated key reads back as itself");
        assertFalse(a.verifier().verify(msg, new byte[63]), "a signature of the wrong length is no signature");
    }

    static byte[] concat(byte[] x, byte[] y) {
        byte[] out = java.util.Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }
}
