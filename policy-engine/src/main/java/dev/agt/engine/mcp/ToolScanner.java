package dev.agt.engine.mcp;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Scans a tool's name, description and schema for signs of poisoning. Deterministic, no I/O.
 *
 * <p>Two kinds of sign. Text a person reviewing the tool would not see: invisible and
 * bidirectional-control characters (checked on the raw text), comment blocks and chat-template or
 * {@code <IMPORTANT>}-style tags, long base64 runs (whose decoded text is scanned too). And
 * phrasing aimed at the model: overriding its instructions, sending secrets somewhere, naming
 * credential files, keeping things from the user. Phrases are matched on a normalized copy:
 * Unicode tag characters turned back into the ASCII they smuggle, other invisible characters
 * removed (so {@code ig\u200bnore} still reads "ignore"), NFKC (so fullwidth letters read as
 * ASCII), lower case, typographic apostrophes straightened, whitespace collapsed.
 *
 * <p>The patterns are narrow on purpose: a description that merely mentions a system prompt, a
 * {@code .env} file, an upload or an HTTP POST is normal for many tools and is not a finding.
 * What is not caught: homoglyphs (a Cyrillic "о" in "ignore"), paraphrase, other languages.
 */
public final class ToolScanner {
    static final int BASE64_MIN = 64;
    static final int MAX_FINDINGS = 32;
    static final int CLIP = 80;

    /** One character within a sentence: windows between words never cross ". ". */
    private static final String W = "(?:(?!\\. ).)";

    private static final List<Map.Entry<String, Pattern>> PHRASES = List.of(
            // hidden markup: comments, instruction tags, chat-template tokens
            p("hidden-markup", "<!--"),
            p("hidden-markup", "<\\s*/?\\s*(?:important|system|instructions?|hidden|secret|admin|override|sudo|system[ _-]?prompt"
                    + "|assistant)\\b[^<>]{0,40}>"),
            p("hidden-markup", "<\\|(?:im_start|im_end|system|user|assistant|endoftext)\\|>"),
            p("hidden-markup", "\\[/?inst\\]|<<\\s*/?sys\\s*>>"),
            p("hidden-markup", "\\[//\\]\\s*:\\s*#"),
            // the model's own instructions
            p("role-override", "\\b(?:ignore|disregard|forget|override|bypass)\\s+(?:(?:all|any|the|your|of|these|those|my)\\s+){0,3}"
                    + "(?:previous|prior|above|earlier|preceding|former|original|existing|other|system|safety)\\s+"
                    + "(?:instructions?|prompts?|directions?|directives?|guidelines?|rules?|messages?|context|constraints?)\\b"),
            p("role-override", "\\byou are now\\b(?!\\s+(?:able|ready|connected|logged|signed|authenticated|subscribed|registered"
                    + "|viewing|using|in the|on the)\\b)"),
            p("role-override", "\\b(?:reveal|print|show|output|repeat|leak|disclose|return|dump|ignore|override|replace)\\s+(?:me\\s+)?"
                    + "(?:your|the)\\s+(?:system|initial|original|hidden|secret)\\s+(?:prompt|instructions)\\b"),
            p("role-override", "\\byour system prompt\\b|\\byour instructions have (?:been )?(?:changed|updated)\\b"),
            p("role-override", "\\b(?:new|updated|real|actual|true) (?:system )?instructions\\s*:"),
            p("role-override", "\\bfrom now on\\b,?\\s+(?:you|always|never|ignore|respond|act)\\b"),
            p("role-override", "\\b(?:god|dan|jailbreak|jailbroken) mode\\b|\\bact as (?:if you (?:are|were) )?(?:an? )?(?:unrestricted|unfiltered"
                    + "|jailbroken)\\b"),
            // sending secrets somewhere: see exfiltration(), this one is matched in parts
            p("secret-path", "(?:~|\\$home|%userprofile%)/\\.(?:ssh|aws|gnupg|kube|docker|netrc|git-credentials|npmrc|pypirc|env"
                    + "|cursor|config/gcloud)\\b"),
            p("secret-path", "\\bid_(?:rsa|dsa|ecdsa|ed25519)\\b"),
            p("secret-path", "\\.aws/credentials\\b|\\.git-credentials\\b|\\.docker/config\\.json\\b|\\.kube/config\\b|/etc/shadow\\b"
                    + "|\\bclaude_desktop_config\\.json\\b|\\.cursor/mcp\\.json\\b"),
            p("secret-path", "\\bcontents? of (?:the |your )?(?:[\\w~./-]*/)?\\.env\\b"),
            // keeping it from the person
            p("concealment", "\\b(?:do not|don't|dont|never|without)\\s+(?:tell|telling|inform|informing|notify|notifying|mention|mentioning"
                    + "|alert|alerting|reveal|revealing|let)\\b" + W + "{0,40}?\\b(?:the )?user\\b"),
            p("concealment", "\\bthe user (?:must|should|need|needs to) not (?:know|see|notice|be told|find out)\\b"),
            p("concealment", "\\b(?:keep|hide) (?:this|it|these|that) (?:secret |hidden )?from (?:the )?user\\b"),
            p("concealment", "\\b(?:do not|don't|never) (?:mention|reveal|disclose) (?:this|that|these|it)\\b"),
            p("concealment", "\\bcould (?:even )?upset the user\\b"));

    /*
     * "send/post/upload ... SECRET ... to URL", within one sentence, at most EXFIL_GAP characters
     * between the parts. As one regex with lazy windows this costs (verbs x window x nouns) per
     * character, which a hostile list of "send token send token ..." turns into seconds per
     * frame; found in three linear passes and joined by position it stays linear.
     */
    static final int EXFIL_GAP = 80;
    private static final Pattern EXFIL_VERB = Pattern.compile(
            "\\b(?:send|post|upload|forward|transmit|exfiltrate|leak|copy|submit|e?mail)(?:s|es|ed|ing)?\\b");
    private static final Pattern EXFIL_WHAT = Pattern.compile(
            "(?:credentials?|secrets?|api[ _-]?keys?|access[ _-]?tokens?|tokens?|passwords?|passphrases?|private[ _-]?keys?"
                    + "|ssh[ _-]?keys?|\\.ssh|id_rsa|id_ed25519|cookies?|session[ _-]?ids?|conversation|chat history|message history"
                    + "|previous messages|environment variables|env vars|\\.env|system prompt|files?|file contents?|contents? of)");
    private static final Pattern EXFIL_WHERE = Pattern.compile(
            "\\bto\\s+(?:https?://|ftp://|www\\.|(?:\\d{1,3}\\.){3}\\d{1,3}|[\\w.+-]+@[\\w-]+\\.[a-z])");

    private ToolScanner() {
    }

    /** The text of the first "verb ... secret ... to destination" in {@code t}, or null. */
    static String exfiltration(String t) {
        List<int[]> verbs = spans(EXFIL_VERB, t);
        if (verbs.isEmpty()) {
            return null;
        }
        List<int[]> whats = spans(EXFIL_WHAT, t);
        List<int[]> wheres = spans(EXFIL_WHERE, t);
        if (whats.isEmpty() || wheres.isEmpty()) {
            return null;
        }
        int[] breaks = new int[t.length() + 1]; // breaks[i]: sentence ends (". ") starting before i
        for (int i = 0; i < t.length(); i++) {
            breaks[i + 1] = breaks[i] + (t.startsWith(". ", i) ? 1 : 0);
        }
        int v = -1;
        int w = 0;
        for (int[] what : whats) {
            while (v + 1 < verbs.size() && verbs.get(v + 1)[1] <= what[0]) {
                v++; // the nearest verb ending before the secret: if any verb is close enough, this one is
            }
            while (w < wheres.size() && wheres.get(w)[0] < what[1]) {
                w++; // the nearest destination starting after it
            }
            if (v < 0 || w >= wheres.size()) {
                continue;
            }
            int[] verb = verbs.get(v);
            int[] where = wheres.get(w);
            if (what[0] - verb[1] <= EXFIL_GAP && where[0] - what[1] <= EXFIL_GAP && breaks[where[0]] == breaks[verb[0]]) {
                return t.substring(verb[0], where[1]);
            }
        }
        return null;
    }

    private static List<int[]> spans(Pattern p, String t) {
        List<int[]> out = new ArrayList<>();
        Matcher m = p.matcher(t);
        while (m.find()) {
            out.add(new int[] {m.start(), m.end()});
        }
        return out;
    }

    private static Map.Entry<String, Pattern> p(String code, String regex) {
        return Map.entry(code, Pattern.compile(regex));
    }

    /** Every finding in the tool, at most one per code and place, at most {@value #MAX_FINDINGS}. */
    public static List<Finding> scan(ListedTool tool) {
        Scan s = new Scan();
        s.text("name", tool.name());
        s.text("description", tool.description());
        if (tool.schema() != null) {
            Object parsed = tool.parsedSchema();
            if (parsed != null) {
                s.json("schema#", parsed); // decoded strings: "\u200b" escapes are characters here
            } else {
                s.text("schema", tool.schema());
            }
        }
        return List.copyOf(s.findings);
    }

    /**
     * Every finding in what a tool call returned (text, or JSON whose strings are scanned by
     * pointer), at most one per code and place, at most {@value #MAX_FINDINGS}: the same patterns
     * as tool lists, since a result reaches the model the same way a description does.
     */
    public static List<Finding> scanResult(Object result) {
        Scan s = new Scan();
        if (result instanceof String text) {
            s.text("result", text);
        } else if (result != null) {
            s.json("result#", result);
        }
        return List.copyOf(s.findings);
    }

    /** The text phrases are matched on; see the class comment. */
    static String normalize(String raw) {
        StringBuilder b = new StringBuilder(raw.length());
        raw.codePoints().forEach(cp -> {
            if (cp >= 0xE0020 && cp <= 0xE007E) {
                b.append((char) (cp - 0xE0000)); // a tag character smuggles the ASCII character it mirrors
            } else if (invisible(cp) == null) {
                b.appendCodePoint(cp);
            }
        });
        String n = Normalizer.normalize(b, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        return n.replace('\u2019', '\'').replace('\u2018', '\'').replaceAll("\\s+", " ");
    }

    /** {@code bidi-control}, {@code invisible-char} or null. */
    static String invisible(int cp) {
        if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
            return "bidi-control";
        }
        if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF || cp == 0x00AD || cp == 0x180E
                || cp == 0x115F || cp == 0x1160 || cp == 0x3164 || cp == 0xFFA0
                || (cp >= 0xE0000 && cp <= 0xE007F) || (cp >= 0xE0100 && cp <= 0xE01EF)) {
            return "invisible-char";
        }
        return null;
    }

    private static final class Scan {
        final List<Finding> findings = new ArrayList<>();
        final Set<String> seen = new HashSet<>();

        void add(String code, String field, String detail) {
            if (findings.size() < MAX_FINDINGS && seen.add(code + "\0" + field)) {
                findings.add(new Finding(code, field, detail));
            }
        }

        void json(String pointer, Object v) {
            if (v instanceof String s) {
                text(pointer.equals("schema#") ? "schema" : pointer, s);
            } else if (v instanceof Map<?, ?> m) {
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    String key = (String) e.getKey();
                    String child = pointer + "/" + key.replace("~", "~0").replace("/", "~1");
                    text(child, key);
                    json(child, e.getValue());
                }
            } else if (v instanceof List<?> l) {
                for (int i = 0; i < l.size(); i++) {
                    json(pointer + "/" + i, l.get(i));
                }
            }
        }

        void text(String field, String raw) {
            if (raw.isEmpty()) {
                return;
            }
            invisibles(field, raw);
            phrases(field, normalize(raw));
            base64(field, raw);
        }

        void invisibles(String field, String raw) {
            int[] cps = raw.codePoints().toArray();
            for (String code : List.of("invisible-char", "bidi-control")) {
                int count = 0;
                StringBuilder where = new StringBuilder();
                StringBuilder smuggled = new StringBuilder();
                for (int i = 0; i < cps.length; i++) {
                    int cp = cps[i];
                    if (!code.equals(invisible(cp)) || (cp == 0xFEFF && i == 0) || emojiJoiner(cps, i)) {
                        continue;
                    }
                    if (count++ < 3) {
                        where.append(where.length() == 0 ? "" : ", ").append(String.format("U+%04X at %d", cp, i));
                    }
                    if (cp >= 0xE0020 && cp <= 0xE007E) {
                        smuggled.append((char) (cp - 0xE0000));
                    }
                }
                if (count > 0) {
                    add(code, field, count + (code.equals("bidi-control") ? " bidirectional control character(s): " : " invisible character(s): ")
                            + where + (count > 3 ? ", ..." : "") + (smuggled.length() > 0 ? "; tag characters spell '" + clip(smuggled.toString()) + "'" : ""));
                }
            }
        }

        /** A zero-width joiner between two pictographs builds one emoji (a family, a profession): not hidden text. */
        private static boolean emojiJoiner(int[] cps, int i) {
            if (cps[i] != 0x200D || i == 0 || i == cps.length - 1) {
                return false;
            }
            int before = cps[i - 1] == 0xFE0F && i > 1 ? cps[i - 2] : cps[i - 1];
            return Character.getType(before) == Character.OTHER_SYMBOL && Character.getType(cps[i + 1]) == Character.OTHER_SYMBOL;
        }

        void phrases(String field, String normalized) {
            for (Map.Entry<String, Pattern> e : PHRASES) {
                Matcher m = e.getValue().matcher(normalized);
                if (m.find()) {
                    add(e.getKey(), field, "'" + clip(m.group()) + "'");
                }
            }
            String exfil = exfiltration(normalized);
            if (exfil != null) {
                add("exfiltration", field, "'" + clip(exfil) + "'");
            }
        }

        /**
         * Runs of base64 (either alphabet) of at least {@value #BASE64_MIN} characters that mix upper
         * case, lower case and digits and are not path-like: a hex digest (no upper case) or a long
         * URL path (a '/' every few characters) is not a finding.
         */
        void base64(String field, String raw) {
            int n = raw.length();
            int i = 0;
            while (i < n) {
                if (!b64(raw.charAt(i))) {
                    i++;
                    continue;
                }
                int start = i;
                while (i < n && b64(raw.charAt(i))) {
                    i++;
                }
                String run = raw.substring(start, i);
                if (run.length() < BASE64_MIN) {
                    continue;
                }
                int upper = 0;
                int lower = 0;
                int digit = 0;
                int seps = 0;
                for (int k = 0; k < run.length(); k++) {
                    char c = run.charAt(k);
                    if (c >= 'A' && c <= 'Z') {
                        upper++;
                    } else if (c >= 'a' && c <= 'z') {
                        lower++;
                    } else if (c >= '0' && c <= '9') {
                        digit++;
                    } else {
                        seps++;
                    }
                }
                if (upper == 0 || lower == 0 || digit == 0 || seps * 16 > run.length()) {
                    continue;
                }
                String decoded = decode(run);
                add("base64-run", field, run.length() + " base64 characters at " + start + ": '" + clip(run) + "'"
                        + (decoded != null ? "; decodes to text '" + clip(decoded) + "'" : ""));
                if (decoded != null) {
                    phrases(field + " (base64)", normalize(decoded));
                }
            }
        }

        private static boolean b64(char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' || c == '_';
        }

        /** The run's bytes as text when they are (almost all) printable ASCII, else null. */
        private static String decode(String run) {
            String std = run.replace('-', '+').replace('_', '/');
            std = std.substring(0, std.length() - std.length() % 4);
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(std);
            } catch (IllegalArgumentException e) {
                return null;
            }
            int printable = 0;
            for (byte x : bytes) {
                if ((x >= 0x20 && x < 0x7f) || x == '\n' || x == '\r' || x == '\t') {
                    printable++;
                }
            }
            return bytes.length > 0 && printable * 10 >= bytes.length * 9 ? new String(bytes, StandardCharsets.US_ASCII) : null;
        }
    }

    /** At most {@value #CLIP} characters, with invisible and control characters shown as U+XXXX. */
    static String clip(String s) {
        StringBuilder b = new StringBuilder();
        int[] cps = s.codePoints().toArray();
        int i = 0;
        for (; i < cps.length && b.length() < CLIP; i++) {
            int cp = cps[i];
            if (invisible(cp) != null || Character.isISOControl(cp)) {
                b.append(String.format("U+%04X", cp));
            } else {
                b.appendCodePoint(cp);
            }
        }
        return i < cps.length ? b + "..." : b.toString();
    }
}
