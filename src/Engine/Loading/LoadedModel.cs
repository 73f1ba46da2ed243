using WebUI.Engine.Modeling;

namespace WebUI.Engine.Loading;

/// <summary>A model in memory with its tokenizer; owns the weights.</summary>
public sealed class LoadedModel(CausalLM model, ITextTokenizer tokenizer, ModelSource source, ComputeDevice device) : IDisposable
{
    public CausalLM Model { get; } = model;
    public ITextTokenizer Tokenizer { get; } = tokenizer;
    public ModelSource Source { get; } = source;
    public ComputeDevice Device { get; } = device;
    public ModelConfig Config => Model.Config;

    public void Dispose() => Model.Dispose();
}
