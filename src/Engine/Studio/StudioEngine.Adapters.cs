using WebUI.Engine.Adapters;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Studio;

/// <summary>
/// Adapters in loras/ and the default set (the Model tab's Apply): what new conversations and API requests naming
/// the base model use. Every request carries its own set, so changing the default never changes a running reply.
/// </summary>
public sealed partial class StudioEngine
{
    public IReadOnlyList<AdapterWeight> DefaultAdapters { get; private set; } = [];

    public IReadOnlyList<AdapterEntry> ListAdapters() => AdapterCatalog.List(Paths.Loras);

    /// <summary>The adapters in loras/ that fit the loaded model (checked from their files' headers, nothing read into memory).</summary>
    public Task<IReadOnlyList<AdapterEntry>> ListFittingAdaptersAsync(CancellationToken cancellationToken = default)
    {
        var model = loaded ?? throw NoModel();
        var candidates = ListAdapters().Where(a => a.Error is null).ToList();
        return inference.Run<IReadOnlyList<AdapterEntry>>(
            () => [.. candidates.Where(a => LoraAdapter.Misfit(Path.Combine(Paths.Loras, a.Name), model.Model) is null)], cancellationToken);
    }

    /// <summary>Makes exactly these adapters the default (an empty list: none), after reading them and checking that they fit.</summary>
    public async Task ApplyAdaptersAsync(IReadOnlyList<AdapterWeight> wanted, CancellationToken cancellationToken = default)
    {
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw NoModel();
            await inference.Run(() => adapterCache!.Acquire(wanted, model).Dispose(), cancellationToken);
            DefaultAdapters = [.. wanted];
        }
        finally
        {
            modelGate.Release();
            RaiseChanged();
        }
    }

    /// <summary>
    /// Merges the default adapters into the base weights and writes models/NAME, as a Hugging Face folder or, given a
    /// GGUF type (F32, F16, Q8_0), as models/NAME/NAME.gguf with its Ollama Modelfile; the loaded model is unchanged.
    /// An existing models/NAME is refused.
    /// </summary>
    public async Task<string> ExportMergedAsync(string name, GgmlType? gguf = null, CancellationToken cancellationToken = default)
    {
        var output = StudioPaths.Inside(Paths.Models, name);
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw NoModel();
            ThrowIfTrainingOwnsModel(); // half-trained weights are no model to export
            var adapters = DefaultAdapters;
            await inference.Run(() =>
            {
                using var lease = adapterCache!.Acquire(adapters, model);
                if (gguf is not { } type) AdapterMerger.WriteMerged(model, lease.Adapters, output);
                else
                {
                    using var noGrad = TorchSharp.torch.no_grad();
                    var transform = lease.Adapters.Count > 0 ? AdapterMerger.Transform(model, lease.Adapters) : null;
                    AtomicFolder.Write(output, ExistingFolder.Refuse, staging =>
                    {
                        GgufExport.WriteModel(model, Path.Combine(staging, name + ".gguf"), type, transform);
                        AdapterMerger.WriteRecord(staging, model, lease.Adapters);
                    });
                }
            }, cancellationToken);
            return gguf is null ? output : Path.Combine(output, name + ".gguf");
        }
        finally
        {
            modelGate.Release();
            RaiseChanged();
        }
    }

    /// <summary>
    /// Writes loras/NAME/NAME.gguf, the adapter in llama.cpp's GGUF LoRA format, and its Modelfile (FROM the loaded
    /// base's GGUF when it was loaded from one, else its name); the old file is kept as a backup. Returns the path.
    /// </summary>
    public async Task<string> ExportAdapterGgufAsync(string name, CancellationToken cancellationToken = default)
    {
        var folder = StudioPaths.Inside(Paths.Loras, name);
        await modelGate.WaitAsync(cancellationToken);
        try
        {
            var model = loaded ?? throw NoModel();
            var baseGguf = model.Source.Format == ModelFormat.Gguf ? model.Source.WeightsPath : null;
            return await inference.Run(() =>
            {
                using var lease = adapterCache!.Acquire([new AdapterWeight(name, 1)], model);
                return GgufExport.WriteAdapter(model, lease.Adapters[0].Adapter, Path.Combine(folder, name + ".gguf"), baseGguf);
            }, cancellationToken);
        }
        finally
        {
            modelGate.Release();
        }
    }
}
