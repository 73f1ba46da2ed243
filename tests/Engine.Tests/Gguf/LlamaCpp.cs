using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using WebUI.Engine.Loading;

namespace WebUI.Engine.Tests;

/// <summary>
/// Real llama.cpp, as prebuilt in node-llama-cpp 3.21.1 (tests/peers, installed by tests/peers/install.sh, which
/// .ci/run and this project's build call): greedy decoding through its node binding, and ggml's own quantizers and
/// dequantizers and llama_model_quantize called in-process from its shared libraries.
/// </summary>
internal static unsafe class LlamaCpp
{
    public static string PeersDir { get; } = FindPeers();

    private static string BinDir => Path.Combine(PeersDir, "node_modules", "@node-llama-cpp", "linux-x64", "bins", "linux-x64");

    /// <summary>llama.cpp's greedy continuation: the prompt ids it used (BOS first when the file asks) and <paramref name="count"/> tokens.</summary>
    public static (int[] Prompt, int[] Tokens) Greedy(string gguf, string prompt, int count, string? lora = null)
    {
        var start = new ProcessStartInfo("node") { WorkingDirectory = PeersDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "llama-greedy.mjs", gguf, prompt, count.ToString() }.Concat(lora is null ? [] : [lora])) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) { process.Kill(true); throw new TimeoutException("llama.cpp did not finish in 2 minutes"); }
        if (process.ExitCode != 0) throw new InvalidOperationException($"llama.cpp failed ({process.ExitCode}): {stderr.Result}");
        using var json = JsonDocument.Parse(stdout.Result.Trim().Split('\n')[^1]);
        int[] Ids(string name) => json.RootElement.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        return (Ids("prompt"), Ids("tokens"));
    }

    /// <summary>ggml_quantize_chunk: <paramref name="values"/> (rows of <paramref name="perRow"/>) encoded as <paramref name="type"/>.</summary>
    public static byte[] Quantize(GgmlType type, float[] values, int perRow)
    {
        var bytes = new byte[GgmlTypes.ByteCount(type, values.Length)];
        fixed (float* src = values)
        fixed (byte* dst = bytes)
            QuantizeChunk((int)type, src, dst, 0, values.Length / perRow, perRow, null);
        return bytes;
    }

    /// <summary>ggml's own to_float for the type (ggml_get_type_traits(type)->to_float).</summary>
    public static float[] Dequantize(GgmlType type, byte[] bytes, int count)
    {
        var traits = GetTypeTraits((int)type);
        // struct ggml_type_traits { const char* type_name; int64 blck_size; int64 blck_size_interleave; size_t type_size;
        //                           bool is_quantized; ggml_to_float_t to_float; ... }
        var toFloat = (delegate* unmanaged<byte*, float*, long, void>)*(nint*)(traits + 40);
        var values = new float[count];
        fixed (byte* src = bytes)
        fixed (float* dst = values)
            toFloat(src, dst, count);
        return values;
    }

    /// <summary>llama_model_quantize with llama.cpp's defaults and <paramref name="ftype"/> (llama_ftype: 15 Q4_K_M, 17 Q5_K_M, 18 Q6_K, ...).</summary>
    public static void QuantizeModel(string input, string output, int ftype)
    {
        var parameters = DefaultQuantizeParams();
        parameters.NThread = 2;
        parameters.FType = ftype;
        var rc = ModelQuantize(input, output, &parameters);
        if (rc != 0) throw new InvalidOperationException($"llama_model_quantize({input}, ftype {ftype}) returned {rc}");
    }

    /// <summary>llama_model_quantize_params begins with nthread and ftype; the rest is kept as the defaults set it.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private struct QuantizeParams
    {
        public int NThread;
        public int FType;
    }

    private static readonly Lazy<nint> GgmlBase = new(() => NativeLibrary.Load(Path.Combine(BinDir, "libggml-base.so")));
    private static readonly Lazy<nint> Llama = new(() => NativeLibrary.Load(Path.Combine(BinDir, "libllama.v0.4.0.so")));

    private static nint Export(Lazy<nint> library, string name) => NativeLibrary.GetExport(library.Value, name);

    private static void QuantizeChunk(int type, float* src, byte* dst, long start, long rows, long perRow, float* imatrix) =>
        ((delegate* unmanaged<int, float*, byte*, long, long, long, float*, nuint>)Export(GgmlBase, "ggml_quantize_chunk"))(type, src, dst, start, rows, perRow, imatrix);

    private static byte* GetTypeTraits(int type) => ((delegate* unmanaged<int, byte*>)Export(GgmlBase, "ggml_get_type_traits"))(type);

    private static QuantizeParams DefaultQuantizeParams() =>
        ((delegate* unmanaged<QuantizeParams>)Export(Llama, "llama_model_quantize_default_params"))();

    private static uint ModelQuantize(string input, string output, QuantizeParams* parameters)
    {
        var quantize = (delegate* unmanaged<byte*, byte*, QuantizeParams*, uint>)Export(Llama, "llama_model_quantize");
        var (a, b) = (System.Text.Encoding.UTF8.GetBytes(input + "\0"), System.Text.Encoding.UTF8.GetBytes(output + "\0"));
        fixed (byte* pa = a)
        fixed (byte* pb = b)
            return quantize(pa, pb, parameters);
    }

    private static string FindPeers([CallerFilePath] string source = "")
    {
        var peers = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "..", "peers"));
        if (!File.Exists(Path.Combine(peers, "node_modules", "node-llama-cpp", "package.json")))
            throw new InvalidOperationException($"llama.cpp (node-llama-cpp) is not installed in {peers}: run tests/peers/install.sh");
        return peers;
    }
}
