package dev.agt.cli.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.agt.audit.note.NoteKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Build provenance for agt's jars: an in-toto Statement (v1) whose predicate is SLSA Provenance
 * (v1), wrapped in a DSSE envelope signed with an Ed25519 key in agt's key format ({@code agt audit
 * keygen}). The subjects are the jars by name and SHA-256; the SBOMs given beside them are listed
 * as by-products, and the dependencies they name (with the hashes the SBOM gives) become the
 * build's resolved dependencies, so one signed file ties a jar to its source commit and to what
 * went into it.
 *
 * <p>Verification is done here rather than by trusting the envelope's fields: the signature is
 * checked over DSSE's pre-authentication encoding of exactly the bytes that are then parsed,
 * and a jar is accepted only when its own SHA-256 is one of the signed subjects.
 */
public final class Provenance {
    public static final String PAYLOAD_TYPE = "application/vnd.in-toto+json";
    public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
    public static final String PREDICATE_TYPE = "https://slsa.dev/provenance/v1";
    public static final String BUILD_TYPE = "urn:agt:build:maven-reproducible:v1";

    private static final ObjectMapper JSON = new ObjectMapper();

    private Provenance() {
    }

    /** What the build was made from and by. */
    public record Build(String sourceUri, String commit, String command, String builderId, String jdk, String startedOn) {
    }

    /** Why a provenance or a jar was refused. */
    public static final class Refused extends Exception {
        public Refused(String message) {
            super(message);
        }
    }

    /** A verified subject: the jar's name in the statement, and what the statement says of its build. */
    public record Verified(String subjectName, String sha256, String signedBy, Optional<String> sourceUri, Optional<String> commit,
                           int subjects, int dependencies) {
    }

    /** The signed envelope, as JSON text, for {@code jars} (subjects) and {@code sboms} (by-products, and the source of dependencies). */
    public static String sign(List<Path> jars, List<Path> sboms, Build build, NoteKeys.Signer signer) throws IOException {
        ObjectNode statement = JSON.createObjectNode();
        statement.put("_type", STATEMENT_TYPE);
        ArrayNode subjects = statement.putArray("subject");
        for (Path jar : jars) {
            subjects.add(descriptor(jar.getFileName().toString(), sha256(jar)));
        }
        statement.put("predicateType", PREDICATE_TYPE);
        ObjectNode predicate = statement.putObject("predicate");
        ObjectNode definition = predicate.putObject("buildDefinition");
        definition.put("buildType", BUILD_TYPE);
        ObjectNode external = definition.putObject("externalParameters");
        ObjectNode source = external.putObject("source");
        source.put("uri", build.sourceUri());
        if (build.commit() != null) {
            source.putObject("digest").put("gitCommit", build.commit());
        }
        external.put("command", build.command());
        definition.putObject("internalParameters").put("jdk", build.jdk());
        ArrayNode resolved = definition.putArray("resolvedDependencies");
        for (Map.Entry<String, String> d : dependencies(sboms).entrySet()) {
            ObjectNode dep = resolved.addObject();
            dep.put("uri", d.getKey());
            dep.putObject("digest").put("sha256", d.getValue());
        }
        ObjectNode run = predicate.putObject("runDetails");
        run.putObject("builder").put("id", build.builderId());
        run.putObject("metadata").put("startedOn", build.startedOn());
        ArrayNode byproducts = run.putArray("byproducts");
        for (Path sbom : sboms) {
            ObjectNode b = descriptor(sbom.getFileName().toString(), sha256(sbom));
            b.put("mediaType", "application/vnd.cyclonedx+json");
            byproducts.add(b);
        }
        byte[] payload = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(statement);
        ObjectNode envelope = JSON.createObjectNode();
        envelope.put("payloadType", PAYLOAD_TYPE);
        envelope.put("payload", Base64.getEncoder().encodeToString(payload));
        ObjectNode sig = envelope.putArray("signatures").addObject();
        sig.put("keyid", signer.verifier().name() + "+" + signer.verifier().keyIdHex());
        sig.put("sig", Base64.getEncoder().encodeToString(signer.sign(pae(PAYLOAD_TYPE, payload))));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(envelope) + "\n";
    }

    /** Checks {@code envelope} with {@code key} and that {@code jar} is one of its subjects. */
    public static Verified verify(Path jar, String envelope, NoteKeys.Verifier key) throws IOException, Refused {
        JsonNode env;
        try {
            env = JSON.readTree(envelope);
        } catch (IOException e) {
            throw new Refused("the provenance is not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        if (env == null || !env.isObject()) {
            throw new Refused("the provenance is not a DSSE envelope (a JSON object with payloadType, payload, signatures)");
        }
        String type = text(env, "payloadType");
        if (!PAYLOAD_TYPE.equals(type)) {
            throw new Refused("the envelope's payloadType is " + (type == null ? "missing" : "'" + type + "'") + ", not " + PAYLOAD_TYPE);
        }
        byte[] payload;
        try {
            payload = Base64.getDecoder().decode(Optional.ofNullable(text(env, "payload")).orElseThrow(() -> new Refused("the envelope has no payload")));
        } catch (IllegalArgumentException e) {
            throw new Refused("the envelope's payload is not base64");
        }
        JsonNode sigs = env.get("signatures");
        if (sigs == null || !sigs.isArray() || sigs.isEmpty()) {
            throw new Refused("the envelope has no signatures");
        }
        byte[] message = pae(type, payload);
        String wanted = key.name() + "+" + key.keyIdHex();
        List<String> others = new ArrayList<>();
        boolean verified = false;
        for (JsonNode s : sigs) {
            String keyid = text(s, "keyid");
            byte[] sig;
            try {
                sig = Base64.getDecoder().decode(Optional.ofNullable(text(s, "sig")).orElse(""));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (key.verify(message, sig)) {
                verified = true;
                break;
            }
            others.add(keyid == null ? "(no keyid)" : keyid);
        }
        if (!verified) {
            throw new Refused(others.contains(wanted)
                    ? "the signature by " + wanted + " does not verify: the provenance was changed after it was signed"
                    : "no signature verifies with " + wanted + " (signed by " + String.join(", ", others) + ")");
        }
        JsonNode statement;
        try {
            statement = JSON.readTree(payload);
        } catch (IOException e) {
            throw new Refused("the signed statement is not JSON");
        }
        if (!STATEMENT_TYPE.equals(text(statement, "_type"))) {
            throw new Refused("the signed payload is not an in-toto Statement v1 (_type " + text(statement, "_type") + ")");
        }
        if (!PREDICATE_TYPE.equals(text(statement, "predicateType"))) {
            throw new Refused("the statement's predicate is " + text(statement, "predicateType") + ", not SLSA provenance v1");
        }
        String digest = sha256(jar);
        JsonNode subjects = statement.get("subject");
        List<String> named = new ArrayList<>();
        String match = null;
        if (subjects != null && subjects.isArray()) {
            for (JsonNode s : subjects) {
                String d = s.path("digest").path("sha256").asText("");
                named.add(s.path("name").asText("?") + " sha256:" + d);
                if (d.equalsIgnoreCase(digest)) {
                    match = s.path("name").asText("?");
                }
            }
        }
        if (match == null) {
            throw new Refused(jar.getFileName() + " (sha256:" + digest + ") is not a jar this provenance names: "
                    + (named.isEmpty() ? "it names none" : String.join(", ", named)));
        }
        JsonNode source = statement.path("predicate").path("buildDefinition").path("externalParameters").path("source");
        JsonNode deps = statement.path("predicate").path("buildDefinition").path("resolvedDependencies");
        return new Verified(match, digest, wanted, Optional.ofNullable(text(source, "uri")),
                Optional.ofNullable(text(source.path("digest"), "gitCommit")), subjects.size(), deps.isArray() ? deps.size() : 0);
    }

    /** DSSE's pre-authentication encoding: what is signed, so that the type cannot be swapped under a signature. */
    static byte[] pae(String type, byte[] payload) {
        byte[] t = type.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("DSSEv1 " + t.length + " " + type + " " + payload.length + " ").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + payload.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(payload, 0, out, head.length, payload.length);
        return out;
    }

    /** The components of CycloneDX SBOMs, by package URL, with their SHA-256 where the SBOM gives one. */
    static Map<String, String> dependencies(List<Path> sboms) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (Path sbom : sboms) {
            JsonNode bom;
            try {
                bom = JSON.readTree(sbom.toFile());
            } catch (IOException e) {
                throw new IOException(sbom + ": not a CycloneDX JSON SBOM: " + e.getMessage(), e);
            }
            if (bom == null || !"CycloneDX".equals(text(bom, "bomFormat"))) {
                throw new IOException(sbom + ": not a CycloneDX JSON SBOM (no bomFormat: CycloneDX)");
            }
            for (JsonNode c : bom.path("components")) {
                String purl = text(c, "purl");
                if (purl == null) {
                    continue;
                }
                String sha = "";
                for (JsonNode h : c.path("hashes")) {
                    if ("SHA-256".equals(text(h, "alg"))) {
                        sha = text(h, "content");
                    }
                }
                out.putIfAbsent(purl, sha);
            }
        }
        return out;
    }

    private static ObjectNode descriptor(String name, String sha256) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", name);
        o.putObject("digest").put("sha256", sha256);
        return o;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[65536];
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
