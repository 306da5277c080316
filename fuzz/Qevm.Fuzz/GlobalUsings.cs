// The library's namespaces follow its folders; every part of it uses the core ones.
global using Qevm.Codec;
global using Qevm.Container;
global using Qevm.Edit;
global using Qevm.Errors;
global using Qevm.IO;
global using Qevm.Iterative;
global using Qevm.Ram;
global using Qevm.Schema;
global using Qevm.Streams;
global using Qevm.Summary;
global using Qevm.Validation;
