namespace WebUI.Engine.Generation;

/// <summary>
/// Jinja sources of the built-in formats, as the model families ship them in tokenizer_config.json (ChatML as
/// Qwen/SmolLM and HF's old default, Llama-2-chat, Llama-3-Instruct, Mistral-7B-Instruct-v0.2, Zephyr-7B-beta),
/// and Alpaca and Vicuna v1.1 written after their reference prompts (Stanford Alpaca, FastChat), with the EOS
/// after each reply that their training added. Each comes with its family's BOS and EOS text.
/// </summary>
internal static class BuiltInChatTemplates
{
    public const string PlainTextName = "None (plain text)";

    public const string PlainTextSource =
        "{% for message in messages %}{% if not loop.first %}{{ '\\n\\n' }}{% endif %}{{ message['content'] }}{% endfor %}";

    public static IReadOnlyList<(string Name, string Source, string? BosToken, string? EosToken)> Formats { get; } =
    [
        ("ChatML", ChatML, null, "<|im_end|>"),
        ("Llama-2", Llama2, "<s>", "</s>"),
        ("Llama-3", Llama3, "<|begin_of_text|>", "<|eot_id|>"),
        ("Mistral", Mistral, "<s>", "</s>"),
        ("Zephyr", Zephyr, "<s>", "</s>"),
        ("Alpaca", Alpaca, "<s>", "</s>"),
        ("Vicuna", Vicuna, "<s>", "</s>"),
    ];

    public const string ChatML =
        """{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}""";

    private const string Llama2 =
        """{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}""";

    private const string Llama3 =
        """{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}""";

    private const string Mistral =
        """
        {%- if messages[0]['role'] == 'system' %}
            {%- set system_message = messages[0]['content'] %}
            {%- set loop_messages = messages[1:] %}
        {%- else %}
            {%- set loop_messages = messages %}
        {%- endif %}

        {{- bos_token }}
        {%- for message in loop_messages %}
            {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
                {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
            {%- endif %}
            {%- if message['role'] == 'user' %}
                {%- if loop.first and system_message is defined %}
                    {{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}
                {%- else %}
                    {{- ' [INST] ' + message['content'] + ' [/INST]' }}
                {%- endif %}
            {%- elif message['role'] == 'assistant' %}
                {{- ' ' + message['content'] + eos_token}}
            {%- else %}
                {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
            {%- endif %}
        {%- endfor %}
        """;

    private const string Zephyr =
        """
        {% for message in messages %}
        {% if message['role'] == 'user' %}
        {{ '<|user|>
        ' + message['content'] + eos_token }}
        {% elif message['role'] == 'system' %}
        {{ '<|system|>
        ' + message['content'] + eos_token }}
        {% elif message['role'] == 'assistant' %}
        {{ '<|assistant|>
        '  + message['content'] + eos_token }}
        {% endif %}
        {% if loop.last and add_generation_prompt %}
        {{ '<|assistant|>' }}
        {% endif %}
        {% endfor %}
        """;

    private const string Alpaca =
        """
        {%- if messages[0]['role'] == 'system' %}
            {%- set system_message = messages[0]['content'] %}
            {%- set loop_messages = messages[1:] %}
        {%- else %}
            {%- set system_message = 'Below is an instruction that describes a task. Write a response that appropriately completes the request.' %}
            {%- set loop_messages = messages %}
        {%- endif %}
        {{- system_message + '\n\n' }}
        {%- for message in loop_messages %}
            {%- if message['role'] == 'user' %}
                {{- '### Instruction:\n' + message['content'] + '\n\n' }}
            {%- elif message['role'] == 'assistant' %}
                {{- '### Response:\n' + message['content'] + eos_token + '\n\n' }}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '### Response:\n' }}
        {%- endif %}
        """;

    private const string Vicuna =
        """
        {%- if messages[0]['role'] == 'system' %}
            {%- set system_message = messages[0]['content'] %}
            {%- set loop_messages = messages[1:] %}
        {%- else %}
            {%- set system_message = "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions." %}
            {%- set loop_messages = messages %}
        {%- endif %}
        {{- system_message + ' ' }}
        {%- for message in loop_messages %}
            {%- if message['role'] == 'user' %}
                {{- 'USER: ' + message['content'] + ' ' }}
            {%- elif message['role'] == 'assistant' %}
                {{- 'ASSISTANT: ' + message['content'] + eos_token }}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- 'ASSISTANT:' }}
        {%- endif %}
        """;
}
