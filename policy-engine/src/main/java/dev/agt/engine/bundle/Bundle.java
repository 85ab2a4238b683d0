package dev.agt.engine.bundle;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.audit.note.NoteKeys;
import dev.agt.identity.CanonicalJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A signed policy bundle: one JSON file holding a policy and every file it reads (includes,
 * prices), a manifest that names each file with its SHA-256 and size, and Ed25519 signatures over
 * the manifest. The manifest's {@code version} only ever rises: an engine refuses an older one
 * (a downgrade to a policy with a hole it no longer has) and a different bundle with the same
 * version.
 *
 * <pre>
 * {"format": "agt-policy-bundle/1",
 *  "manifest": {"version": 7, "created": "...", "entry": "policy.yaml",
 *               "files": [{"path": "policy.yaml", "sha256": "...", "bytes": 812}, ...]},
 *  "files": {"policy.yaml": "BASE64", ...},
 *  "signatures": [{"key": "NAME+KEYID", "signature": "BASE64"}]}
 * </pre>
 *
 * What is signed is {@value #DOMAIN} followed by a newline and the manifest in canonical JSON;
 * the bundle's hash is the SHA-256 of that canonical manifest (which holds every file's hash).
 * {@link #open} checks everything before anything is used: a bundle without a valid signature by
 * the configured key is never opened, whatever else it holds.
 */
public record Bundle(long version, String created, String entry, Map<String, byte[]> files, String hash, String signedBy) {
    public static final String DOMAIN = "agt-policy-bundle/1";
    /** A bundle larger than this is refused before it is parsed. */
    public static final int MAX_BYTES = 16 * 1024 * 1024;
    private static final Pattern SAFE_PATH = Pattern.compile("[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*");
    private static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Why a bundle is refused. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }

    /** Builds a bundle of every regular file under {@code dir} (entry: {@code entry}), signed with {@code signer}. */
    public static byte[] build(Path dir, String entry, long version, NoteKeys.Signer signer) throws IOException {
        if (version < 1) {
            throw new IllegalArgumentException("a bundle's version is a whole number from 1 up");
        }
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(p).toString().replace('\\', '/');
                if (!SAFE_PATH.matcher(rel).matches() || rel.startsWith(".") || rel.contains("/.")) {
                    continue; // hidden files (editor swap files, .git) are not part of a policy
                }
                files.put(rel, Files.readAllBytes(p));
            }
        }
        if (!files.containsKey(entry)) {
            throw new IOException("no " + entry + " under " + dir + " (the policy a bundle starts from)");
        }
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("version", version);
        manifest.put("created", Instant.now().toString());
        manifest.put("entry", entry);
        List<Object> list = new java.util.ArrayList<>();
        files.forEach((path, bytes) -> list.add(Map.of("path", path, "sha256", sha256(bytes), "bytes", (long) bytes.length)));
        manifest.put("files", list);
        Map<String, Object> contents = new LinkedHashMap<>();
        files.forEach((path, bytes) -> contents.put(path, Base64.getEncoder().encodeToString(bytes)));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("format", DOMAIN);
        out.put("manifest", manifest);
        out.put("files", contents);
        out.put("signatures", List.of(Map.of("key", signer.verifier().name() + "+" + signer.verifier().keyIdHex(),
                "signature", Base64.getEncoder().encodeToString(signer.sign(signed(manifest))))));
        return STRICT.writerWithDefaultPrettyPrinter().writeValueAsBytes(out);
    }

    /** The bundle in {@code bytes}, checked against {@code key}; or why it is refused. */
    public static Bundle open(byte[] bytes, NoteKeys.Verifier key) throws Refused {
        if (bytes.length > MAX_BYTES) {
            throw new Refused("larger than " + MAX_BYTES + " bytes");
        }
        JsonNode root;
        try {
            root = STRICT.readTree(bytes);
        } catch (IOException e) {
            throw new Refused("not a bundle: not JSON (" + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
                    : e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) {
            throw new Refused("not a bundle: not a JSON object");
        }
        only(root, Set.of("format", "manifest", "files", "signatures"), "the bundle");
        if (!DOMAIN.equals(root.path("format").asText(null))) {
            throw new Refused("not a bundle: format is not " + DOMAIN);
        }
        JsonNode manifestNode = root.get("manifest");
        if (manifestNode == null || !manifestNode.isObject()) {
            throw new Refused("no manifest");
        }
        Map<String, Object> manifest;
        byte[] message;
        String hash;
        try {
            // numbers canonical JSON cannot carry (1e400, 2^70) are refused here, before anything trusts them
            manifest = STRICT.convertValue(manifestNode, MAP);
            message = signed(manifest);
            hash = sha256(CanonicalJson.bytes(manifest));
        } catch (RuntimeException e) {
            throw new Refused("the manifest cannot be read as canonical JSON: " + e.getMessage());
        }
        // the signature first: nothing of an unsigned bundle is looked at further
        JsonNode sigs = root.get("signatures");
        if (sigs == null || !sigs.isArray() || sigs.isEmpty()) {
            throw new Refused("unsigned: the bundle carries no signature (bundle " + hash.substring(0, 12) + ")");
        }
        String wanted = key.name() + "+" + key.keyIdHex();
        boolean good = false;
        for (JsonNode s : sigs) {
            if (s.isObject() && wanted.equals(s.path("key").asText()) && s.path("signature").isTextual()) {
                try {
                    good = key.verify(message, Base64.getDecoder().decode(s.path("signature").asText()));
                } catch (IllegalArgumentException notBase64) {
                    good = false;
                }
                if (good) {
                    break;
                }
            }
        }
        if (!good) {
            throw new Refused("no valid signature by " + wanted + " (bundle " + hash.substring(0, 12) + ")");
        }
        only(manifestNode, Set.of("version", "created", "entry", "files"), "the manifest");
        JsonNode v = manifestNode.get("version");
        if (v == null || !v.canConvertToExactIntegral() || !v.isIntegralNumber() || v.asLong() < 1) {
            throw new Refused("the manifest's version is not a whole number from 1 up");
        }
        String entry = manifestNode.path("entry").asText("");
        JsonNode list = manifestNode.get("files");
        JsonNode contents = root.get("files");
        if (!(list instanceof ArrayNode) || !(contents instanceof ObjectNode)) {
            throw new Refused("the manifest or the bundle lists no files");
        }
        Map<String, byte[]> files = new TreeMap<>();
        for (JsonNode f : list) {
            only(f, Set.of("path", "sha256", "bytes"), "a manifest file");
            String path = f.path("path").asText("");
            if (!SAFE_PATH.matcher(path).matches() || Stream.of(path.split("/")).anyMatch(x -> x.equals("..") || x.equals("."))) {
                throw new Refused("unsafe file path in the manifest: '" + path + "'");
            }
            if (files.containsKey(path)) {
                throw new Refused("the manifest names " + path + " twice");
            }
            JsonNode b64 = contents.get(path);
            if (b64 == null || !b64.isTextual()) {
                throw new Refused("the manifest names " + path + " but the bundle does not hold it");
            }
            byte[] content;
            try {
                content = Base64.getDecoder().decode(b64.asText());
            } catch (IllegalArgumentException e) {
                throw new Refused(path + " is not base64");
            }
            if (!sha256(content).equals(f.path("sha256").asText()) || content.length != f.path("bytes").asLong(-1)) {
                throw new Refused(path + " does not match its SHA-256 or size in the manifest (changed after signing)");
            }
            files.put(path, content);
        }
        for (java.util.Iterator<String> it = contents.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!files.containsKey(name)) {
                throw new Refused("the bundle holds " + name + ", which the manifest does not name");
            }
        }
        if (!files.containsKey(entry)) {
            throw new Refused("the manifest's entry '" + entry + "' is not among its files");
        }
        return new Bundle(v.asLong(), manifestNode.path("created").asText(""), entry, java.util.Collections.unmodifiableMap(files), hash, wanted);
    }

    /** Writes the files under {@code dir} (which must not exist yet); returns the entry's path. */
    public Path extract(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path p = dir.resolve(f.getKey()).normalize();
            if (!p.startsWith(dir)) {
                throw new IOException("unsafe path " + f.getKey());
            }
            Files.createDirectories(p.getParent());
            Files.write(p, f.getValue());
        }
        return dir.resolve(entry);
    }

    private static final com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>> MAP = new com.fasterxml.jackson.core.type.TypeReference<>() {
    };

    private static void only(JsonNode node, Set<String> keys, String where) throws Refused {
        if (!node.isObject()) {
            throw new Refused(where + " is not a JSON object");
        }
        for (java.util.Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) {
                throw new Refused(where + " has an unknown field '" + k + "'");
            }
        }
    }

    static byte[] signed(Map<String, Object> manifest) {
        byte[] body = CanonicalJson.bytes(manifest);
        byte[] head = (DOMAIN + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + body.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        return out;
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
