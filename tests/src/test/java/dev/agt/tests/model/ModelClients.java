package dev.agt.tests.model;

import dev.agt.tests.catalogue.Denials;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.util.concurrent.Callable;

/**
 * Runs inside a JVM with the agent: LangChain4j's {@code OpenAiChatModel} talking to an
 * OpenAI-compatible server on loopback, once with a model the policy allows and once with one
 * it does not. Each step prints {@code RESULT name OK|DENIED|ERROR detail}.
 *
 * <p>Args: BASE_URL (for example http://127.0.0.1:8080/v1) [CALLS: call the allowed model that
 * many times instead].
 */
public final class ModelClients {
    private ModelClients() {
    }

    public static void main(String[] args) {
        String base = args[0];
        if (args.length > 1 && args[1].equals("anthropic")) {
            com.anthropic.client.AnthropicClient client = com.anthropic.client.okhttp.AnthropicOkHttpClient.builder()
                    .baseUrl(base.replaceAll("/v1$", "")).apiKey("test-key").maxRetries(0).build();
            for (String model : new String[] {"claude-haiku-4-5", "claude-opus-4-1"}) {
                step("anthropic." + model, () -> client.messages().create(com.anthropic.models.messages.MessageCreateParams.builder()
                        .model(model).maxTokens(64L).addUserMessage("Say hello.").build()).content().get(0).text().map(t -> t.text()).orElse(""));
            }
            // every other route of the SDK to the same model: raw, streamed, async, beta
            com.anthropic.models.messages.MessageCreateParams opus = com.anthropic.models.messages.MessageCreateParams.builder()
                    .model("claude-opus-4-1").maxTokens(64L).addUserMessage("Say hello.").build();
            step("anthropic.raw.claude-opus-4-1", () -> client.messages().withRawResponse().create(opus).statusCode());
            step("anthropic.stream.claude-opus-4-1", () -> client.messages().createStreaming(opus).stream().count());
            step("anthropic.async.claude-opus-4-1", () -> client.async().messages().create(opus).get().id());
            step("anthropic.beta.claude-opus-4-1", () -> client.beta().messages().create(com.anthropic.models.beta.messages.MessageCreateParams.builder()
                    .model("claude-opus-4-1").maxTokens(64L).addUserMessage("Say hello.").build()).id());
            System.out.println("MODEL CLIENTS DONE");
            System.exit(0);
        }
        if (args.length > 1 && args[1].equals("openai")) {
            // the official OpenAI Java SDK, twice: the usage of the first settles its hold
            com.openai.client.OpenAIClient client = com.openai.client.okhttp.OpenAIOkHttpClient.builder().baseUrl(base).apiKey("test-key")
                    .maxRetries(0).build();
            for (String model : new String[] {"gpt-4o-mini", "gpt-4o"}) {
                step("openai." + model, () -> client.chat().completions().create(com.openai.models.chat.completions.ChatCompletionCreateParams.builder()
                        .model(model).addUserMessage("Say hello.").maxCompletionTokens(64L).build()).choices().get(0).message().content().orElse(""));
            }
            // every other route of the SDK: raw, async, streamed, the Responses API
            java.util.function.Function<String, com.openai.models.chat.completions.ChatCompletionCreateParams> params = model ->
                    com.openai.models.chat.completions.ChatCompletionCreateParams.builder().model(model).addUserMessage("Say hello.")
                            .maxCompletionTokens(64L).build();
            step("openai.raw.gpt-4o", () -> client.chat().completions().withRawResponse().create(params.apply("gpt-4o")).statusCode());
            step("openai.async.gpt-4o", () -> client.async().chat().completions().create(params.apply("gpt-4o")).get().id());
            step("openai.async.gpt-4o-mini", () -> client.async().chat().completions().create(params.apply("gpt-4o-mini")).get()
                    .choices().get(0).message().content().orElse(""));
            step("openai.stream.gpt-4o", () -> client.chat().completions().createStreaming(params.apply("gpt-4o")).stream().count());
            step("openai.stream.gpt-4o-mini", () -> {
                try (com.openai.core.http.StreamResponse<com.openai.models.chat.completions.ChatCompletionChunk> chunks =
                             client.chat().completions().createStreaming(params.apply("gpt-4o-mini"))) {
                    return chunks.stream().count() + " chunks";
                }
            });
            step("openai.responses.gpt-4o", () -> client.responses().create(com.openai.models.responses.ResponseCreateParams.builder()
                    .model("gpt-4o").input("Say hello.").maxOutputTokens(64L).build()).id());
            System.out.println("MODEL CLIENTS DONE");
            System.exit(0);
        }
        if (args.length > 2 && args[1].equals("stream")) {
            // LangChain4j's streaming client: streams that complete (their usage settles the hold),
            // one that fails (charged the worst case) and one the application cancels
            dev.langchain4j.model.chat.StreamingChatModel m = streaming(base, "gpt-4o-mini");
            for (int i = 1; i <= Integer.parseInt(args[2]); i++) {
                step("stream-" + i, () -> stream(m, false));
            }
            step("stream-failed", () -> stream(streaming(base + "/broken", "gpt-4o-mini"), false));
            step("stream-cancelled", () -> stream(m, true));
            System.out.println("MODEL CLIENTS DONE");
            System.exit(0);
        }
        if (args.length > 2 && args[1].equals("spring-ai")) {
            // Spring AI's OpenAI chat model behind its ChatClient, called in a loop
            org.springframework.ai.openai.OpenAiChatModel model = org.springframework.ai.openai.OpenAiChatModel.builder()
                    .openAiApi(org.springframework.ai.openai.api.OpenAiApi.builder().baseUrl(base.replaceAll("/v1$", "")).apiKey("test-key").build())
                    .defaultOptions(org.springframework.ai.openai.OpenAiChatOptions.builder().model("gpt-4o-mini").maxTokens(64).build())
                    .retryTemplate(org.springframework.retry.support.RetryTemplate.builder().maxAttempts(1).build())
                    .build();
            org.springframework.ai.chat.client.ChatClient chat = org.springframework.ai.chat.client.ChatClient.create(model);
            for (int i = 1; i <= Integer.parseInt(args[2]); i++) {
                step("spring-" + i, () -> chat.prompt().user("Again.").call().content());
            }
            System.out.println("MODEL CLIENTS DONE");
            System.exit(0);
        }
        if (args.length > 1) {
            // a loop that keeps calling, as a runaway agent would: its budget stops it
            ChatModel m = model(base, "gpt-4o-mini");
            String prompt = args.length > 2 ? args[2] + " again." : "Again.";
            for (int i = 1; i <= Integer.parseInt(args[1]); i++) {
                step("call-" + i, () -> m.chat(prompt));
            }
            System.out.println("MODEL CLIENTS DONE");
            System.exit(0);
        }
        step("allowed", () -> model(base, "gpt-4o-mini").chat("Say hello."));
        step("denied", () -> model(base, "gpt-4o").chat("Say hello, expensively."));
        // a Spring AI ChatModel of the application's own: governed like any other, by its options' model
        LocalSpringModel local = new LocalSpringModel();
        step("spring-ai", () -> local.call(new org.springframework.ai.chat.prompt.Prompt("Say hello.",
                org.springframework.ai.chat.prompt.ChatOptions.builder().model("local-llm").maxTokens(32).build())).getResult().getOutput().getText());
        step("spring-ai.stream", () -> local.stream(new org.springframework.ai.chat.prompt.Prompt("Say hello.",
                org.springframework.ai.chat.prompt.ChatOptions.builder().model("local-llm").maxTokens(32).build())).collectList().block());
        System.out.println("RESULT spring-ai.ran OK " + local.ran);
        System.out.println("MODEL CLIENTS DONE");
        System.exit(0);
    }

    /** A Spring AI chat model that answers locally and counts how often it actually ran. */
    static final class LocalSpringModel implements org.springframework.ai.chat.model.ChatModel {
        int ran;

        @Override
        public org.springframework.ai.chat.model.ChatResponse call(org.springframework.ai.chat.prompt.Prompt prompt) {
            ran++;
            return new org.springframework.ai.chat.model.ChatResponse(java.util.List.of(new org.springframework.ai.chat.model.Generation(
                    new org.springframework.ai.chat.messages.AssistantMessage("hello from a local model"))));
        }

        @Override
        public reactor.core.publisher.Flux<org.springframework.ai.chat.model.ChatResponse> stream(org.springframework.ai.chat.prompt.Prompt prompt) {
            return reactor.core.publisher.Flux.defer(() -> reactor.core.publisher.Flux.just(call(prompt)));
        }
    }

    static ChatModel model(String base, String name) {
        return OpenAiChatModel.builder().baseUrl(base).apiKey("test-key").modelName(name).maxTokens(64).maxRetries(0).build();
    }

    static dev.langchain4j.model.chat.StreamingChatModel streaming(String base, String name) {
        return dev.langchain4j.model.openai.OpenAiStreamingChatModel.builder().baseUrl(base).apiKey("test-key").modelName(name).maxTokens(64).build();
    }

    /** One streamed chat, waited for: its text, or its error; with {@code cancel}, cancelled at its first token. */
    static String stream(dev.langchain4j.model.chat.StreamingChatModel m, boolean cancel) throws Exception {
        java.util.concurrent.CompletableFuture<String> done = new java.util.concurrent.CompletableFuture<>();
        m.chat("Stream it.", new dev.langchain4j.model.chat.response.StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(dev.langchain4j.model.chat.response.PartialResponse partial,
                                          dev.langchain4j.model.chat.response.PartialResponseContext context) {
                if (cancel) {
                    context.streamingHandle().cancel();
                    done.complete("cancelled after '" + partial.text() + "'");
                }
            }

            @Override
            public void onCompleteResponse(dev.langchain4j.model.chat.response.ChatResponse response) {
                done.complete(response.aiMessage().text());
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        try {
            return done.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    static void step(String name, Callable<Object> action) {
        String line;
        try {
            line = "OK " + action.call();
        } catch (Throwable t) {
            Throwable d = Denials.find(t);
            line = d != null ? "DENIED " + d.getClass().getName() + " " + d.getMessage()
                    : "ERROR " + t.getClass().getName() + " " + t.getMessage();
        }
        System.out.println("RESULT " + name + " " + line.replace('\n', ' '));
    }
}
