package dev.agt.rules;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A compact binary form of a validated rule set. The built-in rules are written in YAML like
 * anyone's, and compiled to this form at build time, so the agent does not load a YAML parser
 * (a hundred milliseconds of class loading) at every JVM start just to read its own rules.
 */
public final class RulesCodec {
    static final int MAGIC = 0x61677452; // "agtR"
    static final int VERSION = 3;

    private RulesCodec() {
    }

    public static void write(RuleSet set, DataOutputStream out) throws IOException {
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(set.source());
        out.writeInt(set.rules().size());
        for (InterceptRule r : set.rules()) {
            out.writeUTF(r.id());
            out.writeUTF(r.description());
            out.writeUTF(r.selector().kind().name());
            out.writeUTF(r.selector().name());
            out.writeUTF(r.method());
            out.writeInt(r.params() == null ? -1 : r.params().size());
            if (r.params() != null) {
                for (String p : r.params()) {
                    out.writeUTF(p);
                }
            }
            out.writeInt(r.paramCount());
            out.writeUTF(r.at().name());
            out.writeUTF(r.family());
            out.writeUTF(r.action());
            fields(r.target(), out);
            out.writeUTF(r.mode().name());
            out.writeBoolean(r.builtin());
            out.writeUTF(r.origin());
            out.writeInt(r.places().size());
            for (Map.Entry<String, String> p : new TreeMap<>(r.places()).entrySet()) {
                out.writeUTF(p.getKey());
                out.writeUTF(p.getValue());
            }
        }
    }

    private static void fields(Map<String, Field> fields, DataOutputStream out) throws IOException {
        out.writeInt(fields.size());
        // in key order: the parsed maps may be immutable ones, whose order changes from one JVM to
        // the next, and the compiled file must be the same bytes at every build (reproducible jars)
        for (Map.Entry<String, Field> f : new TreeMap<>(fields).entrySet()) {
            out.writeUTF(f.getKey());
            out.writeInt(f.getValue().sources().size());
            for (String s : f.getValue().sources()) {
                out.writeUTF(s);
            }
            out.writeUTF(f.getValue().as().name());
            out.writeBoolean(f.getValue().each() != null);
            if (f.getValue().each() != null) {
                fields(f.getValue().each(), out);
            }
            out.writeBoolean(f.getValue().fields() != null);
            if (f.getValue().fields() != null) {
                fields(f.getValue().fields(), out);
            }
        }
    }

    public static RuleSet read(DataInputStream in) throws IOException {
        if (in.readInt() != MAGIC || in.readInt() != VERSION) {
            throw new IOException("not a compiled agt rule set of version " + VERSION);
        }
        String source = in.readUTF();
        int n = in.readInt();
        List<InterceptRule> rules = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String id = in.readUTF();
            String description = in.readUTF();
            ClassSelector selector = new ClassSelector(ClassSelector.Kind.valueOf(in.readUTF()), in.readUTF());
            String method = in.readUTF();
            int np = in.readInt();
            List<String> params = null;
            if (np >= 0) {
                params = new ArrayList<>(np);
                for (int k = 0; k < np; k++) {
                    params.add(in.readUTF());
                }
                params = List.copyOf(params);
            }
            int paramCount = in.readInt();
            InterceptRule.At at = InterceptRule.At.valueOf(in.readUTF());
            String family = in.readUTF();
            String action = in.readUTF();
            Map<String, Field> target = fields(in);
            InterceptRule.Mode mode = InterceptRule.Mode.valueOf(in.readUTF());
            boolean builtin = in.readBoolean();
            String origin = in.readUTF();
            int np2 = in.readInt();
            Map<String, String> places = new LinkedHashMap<>();
            for (int k = 0; k < np2; k++) {
                places.put(in.readUTF(), in.readUTF());
            }
            rules.add(new InterceptRule(id, description, selector, method, params, paramCount, at, family, action, target, mode,
                    builtin, origin, Map.copyOf(places)));
        }
        return new RuleSet(source, rules);
    }

    private static Map<String, Field> fields(DataInputStream in) throws IOException {
        int n = in.readInt();
        Map<String, Field> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String name = in.readUTF();
            int ns = in.readInt();
            List<String> sources = new ArrayList<>(ns);
            List<Expr> exprs = new ArrayList<>(ns);
            for (int k = 0; k < ns; k++) {
                String s = in.readUTF();
                sources.add(s);
                exprs.add(Expr.parse(s)); // validated when compiled
            }
            Field.As as = Field.As.valueOf(in.readUTF());
            Map<String, Field> each = in.readBoolean() ? fields(in) : null;
            Map<String, Field> sub = in.readBoolean() ? fields(in) : null;
            out.put(name, new Field(List.copyOf(exprs), List.copyOf(sources), as, each, sub));
        }
        return Map.copyOf(out);
    }
}
