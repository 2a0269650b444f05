using ResCoin.Simulator;

return await SimulatorApp.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
