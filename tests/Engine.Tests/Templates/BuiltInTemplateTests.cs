using WebUI.Engine.Generation;

namespace WebUI.Engine.Tests.Templates;

/// <summary>Exact prompts of the built-in formats and of SmolLM2-Instruct's own template.</summary>
public sealed class BuiltInTemplateTests
{
    /// <summary>SmolLM2-135M-Instruct's chat_template from its tokenizer_config.json (ChatML with a default system prompt).</summary>
    internal const string SmolLM2Template =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private static readonly ChatMessage[] Chat = [new("user", "Hi"), new("assistant", "Hello!"), new("user", "How are you?")];
    private static readonly ChatMessage[] ChatWithSystem = [new("system", "Be brief."), .. Chat];

    private static ChatTemplate BuiltIn(string name) => ChatTemplate.BuiltIn.Single(t => t.Name == name);

    [Fact]
    public void Built_in_list_starts_with_plain_text_then_the_named_formats()
    {
        Assert.Equal(["None (plain text)", "ChatML", "Llama-2", "Llama-3", "Mistral", "Zephyr", "Alpaca", "Vicuna"], ChatTemplate.BuiltIn.Select(t => t.Name));
        Assert.Same(ChatTemplate.PlainText, ChatTemplate.BuiltIn[0]);
    }

    [Fact]
    public void Plain_text_joins_contents_with_blank_lines_and_adds_no_generation_prompt()
    {
        Assert.Equal("Be brief.\n\nHi\n\nHello!\n\nHow are you?", ChatTemplate.PlainText.Render(ChatWithSystem, addGenerationPrompt: true));
        Assert.Equal("Be brief.\n\nHi\n\nHello!\n\nHow are you?", ChatTemplate.PlainText.Render(ChatWithSystem, addGenerationPrompt: false));
    }

    [Fact]
    public void ChatML_with_and_without_generation_prompt()
    {
        const string conversation = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n";

        Assert.Equal(conversation, BuiltIn("ChatML").Render(Chat, addGenerationPrompt: false));
        Assert.Equal(conversation + "<|im_start|>assistant\n", BuiltIn("ChatML").Render(Chat, addGenerationPrompt: true));
    }

    [Fact]
    public void SmolLM2_template_adds_its_default_system_prompt_only_when_there_is_none()
    {
        var smol = ChatTemplate.FromJinja("Model (SmolLM2-135M-Instruct)", SmolLM2Template, "<|im_start|>", "<|im_end|>");

        Assert.Equal("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            smol.Render([new("user", "Hi")], addGenerationPrompt: true));
        Assert.Equal("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nHow are you?<|im_end|>\n",
            smol.Render(ChatWithSystem, addGenerationPrompt: false));
        Assert.Equal(["<|im_end|>", "\n<|im_start|>user"], smol.StopStrings);
    }

    [Fact]
    public void Llama3_puts_bos_first_and_trims_contents()
    {
        ChatMessage[] padded = [new("user", "  Hi\n"), new("assistant", " Hello! ")];

        Assert.Equal("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            BuiltIn("Llama-3").Render(padded, addGenerationPrompt: true));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>",
            BuiltIn("Llama-3").Render(ChatWithSystem, addGenerationPrompt: false));
    }

    [Fact]
    public void Llama2_folds_the_system_prompt_into_the_first_instruction()
    {
        Assert.Equal("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] How are you? [/INST]",
            BuiltIn("Llama-2").Render(ChatWithSystem, addGenerationPrompt: true));
        Assert.Equal("<s>[INST] Hi [/INST] Hello! </s><s>[INST] How are you? [/INST]", BuiltIn("Llama-2").Render(Chat, addGenerationPrompt: true));
    }

    [Fact]
    public void Mistral_folds_the_system_prompt_into_the_first_instruction()
    {
        Assert.Equal("<s> [INST] Be brief.\n\nHi [/INST] Hello!</s> [INST] How are you? [/INST]", BuiltIn("Mistral").Render(ChatWithSystem, addGenerationPrompt: true));
    }

    [Theory]
    [InlineData("Llama-2", "Conversation roles must alternate user/assistant/user/assistant/...")]
    [InlineData("Mistral", "After the optional system message, conversation roles must alternate user/assistant/user/assistant/...")]
    public void Llama2_and_Mistral_reject_roles_that_do_not_alternate(string name, string message)
    {
        var e = Assert.Throws<TemplateException>(() => BuiltIn(name).Render([new("user", "a"), new("user", "b")], addGenerationPrompt: true));

        Assert.Equal($"chat template '{name}': {message}", e.Message);
    }

    [Fact]
    public void Mistral_rejects_a_system_message_after_the_first()
    {
        var e = Assert.Throws<TemplateException>(() => BuiltIn("Mistral").Render([new("user", "a"), new("system", "b")], addGenerationPrompt: true));

        Assert.Contains("Only user and assistant roles are supported", e.Message);
    }

    [Fact]
    public void Zephyr_keeps_the_newline_after_each_turn()
    {
        Assert.Equal("<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n<|user|>\nHow are you?</s>\n<|assistant|>\n",
            BuiltIn("Zephyr").Render(ChatWithSystem, addGenerationPrompt: true));
        Assert.Equal("<|user|>\nHi</s>\n", BuiltIn("Zephyr").Render([new("user", "Hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void Alpaca_uses_its_default_preamble_unless_a_system_message_replaces_it()
    {
        Assert.Equal("Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nHi\n\n### Response:\nHello!</s>\n\n### Instruction:\nHow are you?\n\n### Response:\n",
            BuiltIn("Alpaca").Render(Chat, addGenerationPrompt: true));
        Assert.Equal("Be brief.\n\n### Instruction:\nHi\n\n", BuiltIn("Alpaca").Render([new("system", "Be brief."), new("user", "Hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void Vicuna_follows_fastchats_v1_1_prompt()
    {
        Assert.Equal("A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions. USER: Hi ASSISTANT: Hello!</s>USER: How are you? ASSISTANT:",
            BuiltIn("Vicuna").Render(Chat, addGenerationPrompt: true));
        Assert.Equal("Be brief. USER: Hi ", BuiltIn("Vicuna").Render([new("system", "Be brief."), new("user", "Hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void With_special_tokens_rebinds_a_format_to_another_models_eos()
    {
        var alpaca = BuiltIn("Alpaca").WithSpecialTokens(null, "<|endoftext|>");

        Assert.EndsWith("### Response:\nHello!<|endoftext|>\n\n", alpaca.Render([new("user", "Hi"), new("assistant", "Hello!")], addGenerationPrompt: false));
        Assert.Equal(["<|endoftext|>", "\n### Instruction:"], alpaca.StopStrings);
        Assert.Equal("Alpaca", alpaca.Name);
    }
}
