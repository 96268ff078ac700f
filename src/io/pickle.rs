//! A pickle *interpreter* for PyTorch state dicts (MODEL.md 7) that never executes anything.
//!
//! Python's `pickle` is a small stack machine whose `GLOBAL` + `REDUCE` opcodes call arbitrary
//! functions, so loading an untrusted `.pt` with Python runs the file's code. This module only builds
//! an inert object graph:
//! - it knows the opcodes `torch.save` emits for a state dict (protocols 2 to 5) and rejects every
//!   other opcode, naming it and its byte offset;
//! - `GLOBAL`/`STACK_GLOBAL` resolve only an allow-list ([`Global`]): `collections.OrderedDict`,
//!   `torch._utils._rebuild_tensor_v2`, `torch._utils._rebuild_parameter(_with_state)` and the
//!   `torch.<Type>Storage` classes; anything else (`os.system`, `builtins.eval`, ...) is an error
//!   naming the global;
//! - `REDUCE` never calls: `OrderedDict()` becomes an empty dict and any other allowed call is
//!   recorded as [`Object::Call`] for the `.pt` reader to interpret as data;
//! - `BINPERSID` records the persistent id ([`Object::Persistent`]); the reader decides what it means.
//!
//! Objects live in an arena and the stack and memo hold indices, which gives Python's sharing
//! semantics (a memoised dict mutated later is seen mutated) without reference cycles, and keeps
//! memory linear in the input: every opcode creates at most one object or moves existing ones.
//! Stack, mark, memo and object counts are bounded, and no length read from the file is allocated
//! before it is checked against the bytes that remain.

use std::collections::HashMap;

use super::opcodes::*;

use super::tensor::{Dtype, shown};

/// Index of an object in [`Unpickled`]'s arena.
pub(crate) type Id = usize;

/// Deepest value stack we accept; a state dict needs a few thousand entries at most (pickle writes
/// dict items in batches of 1000).
const MAX_STACK: usize = 1 << 16;
/// Deepest nesting of `MARK`s (open tuples, batches); a state dict nests about four deep.
const MAX_MARKS: usize = 1 << 10;
/// Most objects and memo entries one pickle may create.
const MAX_OBJECTS: usize = 1 << 22;

/// A tensor storage class named by a pickle (`torch.FloatStorage` ...): only a type tag, never called.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct StorageType {
    /// The class name in the pickle.
    pub class: &'static str,
    /// The dtype's PyTorch name, for error messages.
    pub dtype_name: &'static str,
    /// Bytes per element (needed to skip storages of other dtypes in the legacy layout).
    pub element_size: usize,
    /// The dtype if we can read it.
    pub dtype: Option<Dtype>,
}

/// Every storage class `torch.save` writes for a plain tensor. Knowing the unsupported ones lets
/// the reader say "int64 is not supported" instead of "unknown global".
const STORAGE_TYPES: [StorageType; 12] = {
    const fn st(class: &'static str, dtype_name: &'static str, size: usize) -> StorageType {
        StorageType {
            class,
            dtype_name,
            element_size: size,
            dtype: None,
        }
    }
    [
        StorageType {
            dtype: Some(Dtype::F32),
            ..st("FloatStorage", "float32", 4)
        },
        StorageType {
            dtype: Some(Dtype::F64),
            ..st("DoubleStorage", "float64", 8)
        },
        st("HalfStorage", "float16", 2),
        st("BFloat16Storage", "bfloat16", 2),
        st("LongStorage", "int64", 8),
        st("IntStorage", "int32", 4),
        st("ShortStorage", "int16", 2),
        st("CharStorage", "int8", 1),
        st("ByteStorage", "uint8", 1),
        st("BoolStorage", "bool", 1),
        st("ComplexFloatStorage", "complex64", 8),
        st("ComplexDoubleStorage", "complex128", 16),
    ]
};

/// The only globals a pickle may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Global {
    /// `collections.OrderedDict`: the state dict itself and each tensor's (empty) backward hooks.
    OrderedDict,
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, meta])`.
    RebuildTensorV2,
    /// `torch._utils._rebuild_parameter(data, requires_grad, hooks)`.
    RebuildParameter,
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, hooks, state)`.
    RebuildParameterWithState,
    /// `torch.<Type>Storage` (or `torch.cuda.<Type>Storage` in old files), a persistent id's type.
    Storage(&'static StorageType),
}

impl Global {
    fn resolve(module: &str, name: &str) -> Option<Global> {
        match (module, name) {
            ("collections", "OrderedDict") => Some(Global::OrderedDict),
            ("torch._utils", "_rebuild_tensor_v2") => Some(Global::RebuildTensorV2),
            ("torch._utils", "_rebuild_parameter") => Some(Global::RebuildParameter),
            ("torch._utils", "_rebuild_parameter_with_state") => {
                Some(Global::RebuildParameterWithState)
            }
            ("torch" | "torch.cuda", class) => STORAGE_TYPES
                .iter()
                .find(|t| t.class == class)
                .map(Global::Storage),
            _ => None,
        }
    }
}

/// A value of the pickle's object graph. Containers hold arena ids.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Object {
    None,
    Bool(bool),
    Int(i64),
    /// An integer wider than 64 bits (`LONG1`), as little-endian two's complement bytes. Only the
    /// legacy layout's magic number is one.
    Long(Vec<u8>),
    Float(f64),
    Str(String),
    Tuple(Vec<Id>),
    List(Vec<Id>),
    /// Entries in insertion order; a repeated key is kept twice here and resolved by the reader.
    Dict(Vec<(Id, Id)>),
    Global(Global),
    /// The result of `BINPERSID`: the persistent id object, uninterpreted.
    Persistent(Id),
    /// A recorded, never executed, call `func(*args)` (`args` is a tuple).
    Call {
        func: Global,
        args: Id,
    },
}

impl Object {
    /// The kind of value with its article ("an int"), for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Object::None => "None",
            Object::Bool(_) => "a bool",
            Object::Int(_) | Object::Long(_) => "an int",
            Object::Float(_) => "a float",
            Object::Str(_) => "a str",
            Object::Tuple(_) => "a tuple",
            Object::List(_) => "a list",
            Object::Dict(_) => "a dict",
            Object::Global(_) => "a class or function",
            Object::Persistent(_) => "a persistent id",
            Object::Call { .. } => "a call result",
        }
    }
}

/// The object graph of one pickle.
#[derive(Debug)]
pub(crate) struct Unpickled {
    objects: Vec<Object>,
    /// The value `STOP` returned.
    pub root: Id,
    /// Offset just past the `STOP` opcode (the legacy layout has several pickles back to back).
    pub end: usize,
}

impl Unpickled {
    /// The object `id`. Ids come only from this arena, so the index is always in range.
    pub fn get(&self, id: Id) -> &Object {
        &self.objects[id]
    }

    /// Every object the pickle created, in creation order.
    pub fn objects(&self) -> &[Object] {
        &self.objects
    }
}

/// Interprets the pickle that starts at `data[start]` up to its `STOP`.
///
/// `what` names the pickle in error messages (e.g. `data.pkl`); offsets are indices into `data`.
pub(crate) fn unpickle(data: &[u8], start: usize, what: &str) -> Result<Unpickled, String> {
    Machine {
        data,
        pos: start,
        what,
        objects: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
    }
    .run()
}

struct Machine<'a> {
    data: &'a [u8],
    pos: usize,
    what: &'a str,
    objects: Vec<Object>,
    stack: Vec<Id>,
    marks: Vec<usize>,
    memo: HashMap<u32, Id>,
}

impl<'a> Machine<'a> {
    fn run(mut self) -> Result<Unpickled, String> {
        loop {
            let at = self.pos;
            let stopped = self
                .next()
                .map_err(|e| format!("{}, byte {at}: {e}", self.what))?;
            if let Some(root) = stopped {
                return Ok(Unpickled {
                    objects: self.objects,
                    root,
                    end: self.pos,
                });
            }
        }
    }

    /// Reads and executes one opcode; at `STOP`, returns the value the pickle returns.
    fn next(&mut self) -> Result<Option<Id>, String> {
        let op = self.take(1)?[0];
        if op == STOP {
            return self.pop().map(Some);
        }
        self.step(op)?;
        Ok(None)
    }

    /// Executes one opcode other than `STOP` (its byte is already consumed).
    fn step(&mut self, op: u8) -> Result<(), String> {
        match op {
            PROTO => {
                let version = self.take(1)?[0];
                if !(2..=5).contains(&version) {
                    return Err(format!(
                        "pickle protocol {version} is not supported (2 to 5 are)"
                    ));
                }
            }
            FRAME => {
                // Protocol 4 framing only announces the next frame's length; nothing to do.
                self.take(8)?;
            }
            MARK => {
                if self.marks.len() >= MAX_MARKS {
                    return Err(format!("more than {MAX_MARKS} nested MARKs"));
                }
                self.marks.push(self.stack.len());
            }
            EMPTY_DICT => self.push_new(Object::Dict(Vec::new()))?,
            EMPTY_LIST => self.push_new(Object::List(Vec::new()))?,
            EMPTY_TUPLE => self.push_new(Object::Tuple(Vec::new()))?,
            TUPLE => {
                let items = self.pop_mark()?;
                self.push_new(Object::Tuple(items))?;
            }
            TUPLE1 | TUPLE2 | TUPLE3 => {
                let n = usize::from(op - TUPLE1) + 1;
                // Only values above the last MARK are available (as for every pop).
                let split = self
                    .stack
                    .len()
                    .checked_sub(n)
                    .filter(|&split| split >= self.floor())
                    .ok_or("TUPLE1/2/3 with too few values on the stack")?;
                let items = self.stack.split_off(split);
                self.push_new(Object::Tuple(items))?;
            }
            BINPUT => {
                let index = self.take(1)?[0];
                self.memo_put(u32::from(index))?;
            }
            LONG_BINPUT => {
                let index = self.u32_le()?;
                self.memo_put(index)?;
            }
            MEMOIZE => {
                let index = u32::try_from(self.memo.len()).map_err(|_| "memo is full")?;
                self.memo_put(index)?;
            }
            BINGET => {
                let index = self.take(1)?[0];
                self.memo_get(u32::from(index))?;
            }
            LONG_BINGET => {
                let index = self.u32_le()?;
                self.memo_get(index)?;
            }
            SHORT_BINUNICODE => {
                let len = usize::from(self.take(1)?[0]);
                self.push_str(len)?;
            }
            BINUNICODE => {
                let len = self.u32_le()?;
                self.push_str(usize::try_from(len).map_err(|_| "string too long")?)?;
            }
            BINUNICODE8 => {
                let len = u64::from_le_bytes(self.array()?);
                self.push_str(usize::try_from(len).map_err(|_| "string too long")?)?;
            }
            SHORT_BINSTRING => {
                // A Python 2 `str`; `torch.load` decodes these as UTF-8 too.
                let len = usize::from(self.take(1)?[0]);
                self.push_str(len)?;
            }
            BINSTRING => {
                let len = i32::from_le_bytes(self.array()?);
                let len =
                    usize::try_from(len).map_err(|_| format!("negative string length {len}"))?;
                self.push_str(len)?;
            }
            BININT => {
                let v = i32::from_le_bytes(self.array()?);
                self.push_new(Object::Int(i64::from(v)))?;
            }
            BININT1 => {
                let v = self.take(1)?[0];
                self.push_new(Object::Int(i64::from(v)))?;
            }
            BININT2 => {
                let v = u16::from_le_bytes(self.array()?);
                self.push_new(Object::Int(i64::from(v)))?;
            }
            LONG1 => {
                let len = usize::from(self.take(1)?[0]);
                let bytes = self.take(len)?;
                let value = long_from_le(bytes);
                self.push_new(value)?;
            }
            NEWTRUE => self.push_new(Object::Bool(true))?,
            NEWFALSE => self.push_new(Object::Bool(false))?,
            NONE => self.push_new(Object::None)?,
            BINFLOAT => {
                let v = f64::from_be_bytes(self.array()?);
                self.push_new(Object::Float(v))?;
            }
            GLOBAL => {
                let module = self.line()?;
                let name = self.line()?;
                self.push_global(&module, &name)?;
            }
            STACK_GLOBAL => {
                let name = self.pop_str()?;
                let module = self.pop_str()?;
                self.push_global(&module, &name)?;
            }
            REDUCE => {
                let args = self.pop()?;
                let func = self.pop()?;
                self.reduce(func, args)?;
            }
            BUILD => {
                let _state = self.pop()?;
                // `BUILD` sets attributes from a state. The only one a state dict carries is the
                // OrderedDict's `_metadata` (module versions), which we do not need.
                match self.top_mut()? {
                    Object::Dict(_) => {}
                    other => return Err(format!("BUILD on {} is not supported", other.kind())),
                }
            }
            BINPERSID => {
                let pid = self.pop()?;
                self.push_new(Object::Persistent(pid))?;
            }
            SETITEM => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.dict_top()?.push((key, value));
            }
            SETITEMS => {
                let items = self.pop_mark()?;
                if items.len() % 2 != 0 {
                    return Err("SETITEMS with an odd number of values".into());
                }
                let pairs: Vec<(Id, Id)> = items.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                self.dict_top()?.extend(pairs);
            }
            APPEND => {
                let value = self.pop()?;
                self.list_top()?.push(value);
            }
            APPENDS => {
                let items = self.pop_mark()?;
                self.list_top()?.extend(items);
            }
            _ => {
                let printable = if op.is_ascii_graphic() {
                    format!(" ('{}')", char::from(op))
                } else {
                    String::new()
                };
                return Err(format!(
                    "unsupported pickle opcode 0x{op:02x}{printable}: only the opcodes of a \
                     PyTorch state dict are interpreted"
                ));
            }
        }
        Ok(())
    }

    /// The next `n` bytes, or an error if the input ends first (checked before any use of `n`).
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let data: &'a [u8] = self.data;
        let bytes = self
            .pos
            .checked_add(n)
            .and_then(|end| data.get(self.pos..end))
            .ok_or_else(|| {
                let left = data.len().saturating_sub(self.pos);
                format!("the data ends inside the pickle (needed {n} more bytes, {left} left)")
            })?;
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u32_le(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A `\n`-terminated UTF-8 line (the module and name of `GLOBAL`).
    fn line(&mut self) -> Result<String, String> {
        let data: &'a [u8] = self.data;
        let rest = data.get(self.pos..).unwrap_or_default();
        let len = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("GLOBAL name without its terminating newline")?;
        let text = std::str::from_utf8(&rest[..len])
            .map_err(|_| "GLOBAL name is not UTF-8")?
            .to_owned();
        self.pos += len + 1;
        Ok(text)
    }

    fn push_str(&mut self, len: usize) -> Result<(), String> {
        let bytes = self.take(len)?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| "string is not valid UTF-8")?
            .to_owned();
        self.push_new(Object::Str(text))
    }

    fn push_global(&mut self, module: &str, name: &str) -> Result<(), String> {
        let global = Global::resolve(module, name).ok_or_else(|| {
            format!(
                "pickle global `{}.{}` is not allowed: this loader never runs code from a file and \
                 accepts only the globals of a PyTorch state dict (collections.OrderedDict, \
                 torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, \
                 torch.<Type>Storage)",
                shown(module),
                shown(name)
            )
        })?;
        self.push_new(Object::Global(global))
    }

    /// `REDUCE`: `OrderedDict()` makes an empty dict; other allowed functions are recorded.
    fn reduce(&mut self, func: Id, args: Id) -> Result<(), String> {
        let Object::Global(global) = self.objects[func] else {
            return Err(format!(
                "REDUCE on {}, which is not an allowed callable",
                self.objects[func].kind()
            ));
        };
        let Object::Tuple(arg_items) = &self.objects[args] else {
            return Err(format!(
                "REDUCE with {} as arguments instead of a tuple",
                self.objects[args].kind()
            ));
        };
        match global {
            Global::OrderedDict if arg_items.is_empty() => self.push_new(Object::Dict(Vec::new())),
            Global::OrderedDict => Err("OrderedDict(...) with arguments is not supported".into()),
            Global::Storage(t) => Err(format!(
                "REDUCE on torch.{}: storage classes are not callable here",
                t.class
            )),
            Global::RebuildTensorV2
            | Global::RebuildParameter
            | Global::RebuildParameterWithState => {
                self.push_new(Object::Call { func: global, args })
            }
        }
    }

    fn push_new(&mut self, object: Object) -> Result<(), String> {
        if self.objects.len() >= MAX_OBJECTS {
            return Err(format!("more than {MAX_OBJECTS} objects"));
        }
        self.objects.push(object);
        self.push(self.objects.len() - 1)
    }

    fn push(&mut self, id: Id) -> Result<(), String> {
        if self.stack.len() >= MAX_STACK {
            return Err(format!("stack deeper than {MAX_STACK}"));
        }
        self.stack.push(id);
        Ok(())
    }

    /// The stack height at the last `MARK`: values below it belong to an enclosing structure and
    /// may only be taken by the opcode that closes the mark.
    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<Id, String> {
        if self.stack.len() <= self.floor() {
            return Err("stack underflow".into());
        }
        self.stack.pop().ok_or_else(|| "stack underflow".into())
    }

    fn pop_str(&mut self) -> Result<String, String> {
        let id = self.pop()?;
        match &self.objects[id] {
            Object::Str(s) => Ok(s.clone()),
            other => Err(format!(
                "STACK_GLOBAL with {} instead of a str",
                other.kind()
            )),
        }
    }

    /// Pops everything above the last `MARK`, and the mark.
    fn pop_mark(&mut self) -> Result<Vec<Id>, String> {
        let mark = self.marks.pop().ok_or("no MARK to close")?;
        if mark > self.stack.len() {
            return Err("stack underflow below a MARK".into());
        }
        Ok(self.stack.split_off(mark))
    }

    fn top_mut(&mut self) -> Result<&mut Object, String> {
        let floor = self.floor();
        match self.stack.last() {
            Some(&id) if self.stack.len() > floor => Ok(&mut self.objects[id]),
            _ => Err("stack underflow".into()),
        }
    }

    fn dict_top(&mut self) -> Result<&mut Vec<(Id, Id)>, String> {
        match self.top_mut()? {
            Object::Dict(entries) => Ok(entries),
            other => Err(format!("SETITEM(S) on {}, not a dict", other.kind())),
        }
    }

    fn list_top(&mut self) -> Result<&mut Vec<Id>, String> {
        match self.top_mut()? {
            Object::List(items) => Ok(items),
            other => Err(format!("APPEND(S) on {}, not a list", other.kind())),
        }
    }

    fn memo_put(&mut self, index: u32) -> Result<(), String> {
        let id = match self.stack.last() {
            Some(&id) if self.stack.len() > self.floor() => id,
            _ => return Err("memo store with an empty stack".into()),
        };
        if self.memo.len() >= MAX_OBJECTS && !self.memo.contains_key(&index) {
            return Err(format!("more than {MAX_OBJECTS} memo entries"));
        }
        self.memo.insert(index, id);
        Ok(())
    }

    fn memo_get(&mut self, index: u32) -> Result<(), String> {
        let id = *self
            .memo
            .get(&index)
            .ok_or_else(|| format!("memo index {index} was never stored"))?;
        self.push(id)
    }
}

/// A `LONG1` payload (little-endian two's complement) as an int if it fits in 64 bits.
fn long_from_le(bytes: &[u8]) -> Object {
    if bytes.len() > 8 {
        return Object::Long(bytes.to_vec());
    }
    let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
    let mut buf = [if negative { 0xff } else { 0 }; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    Object::Int(i64::from_le_bytes(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> Result<Unpickled, String> {
        unpickle(bytes, 0, "test")
    }

    #[test]
    fn builds_a_dict() {
        // {'a': [1, -2]}
        let mut p = vec![PROTO, 2, EMPTY_DICT, BINPUT, 0];
        p.extend([SHORT_BINUNICODE, 1, b'a', EMPTY_LIST, BINPUT, 1, MARK]);
        p.extend([
            BININT1, 1, BININT, 0xfe, 0xff, 0xff, 0xff, APPENDS, SETITEM, STOP,
        ]);
        let u = run(&p).unwrap();
        let Object::Dict(entries) = u.get(u.root) else {
            panic!("root is {:?}", u.get(u.root))
        };
        assert_eq!(entries.len(), 1);
        let (k, v) = entries[0];
        assert_eq!(u.get(k), &Object::Str("a".into()));
        let Object::List(items) = u.get(v) else {
            panic!("value is {:?}", u.get(v))
        };
        assert_eq!(u.get(items[0]), &Object::Int(1));
        assert_eq!(u.get(items[1]), &Object::Int(-2));
    }

    #[test]
    fn memo_shares_objects_like_python() {
        // l = []; memo[0] = l; l.extend([5]); (l, memo[0]): both items are the mutated list.
        let p = [
            PROTO, 2, EMPTY_LIST, BINPUT, 0, MARK, BININT1, 5, APPENDS, BINGET, 0, TUPLE2, STOP,
        ];
        let u = run(&p).unwrap();
        let Object::Tuple(items) = u.get(u.root) else {
            panic!("root is {:?}", u.get(u.root))
        };
        assert_eq!(items[0], items[1]);
        assert!(matches!(u.get(items[0]), Object::List(l) if l.len() == 1));
    }

    #[test]
    fn unknown_opcode_is_named_with_its_offset() {
        let err = run(&[PROTO, 2, NONE, b'0', STOP]).unwrap_err();
        assert!(
            err.contains("0x30") && err.contains("'0'") && err.contains("byte 3"),
            "{err}"
        );
    }

    #[test]
    fn long1_values() {
        assert_eq!(long_from_le(&[]), Object::Int(0));
        assert_eq!(long_from_le(&[0xff]), Object::Int(-1));
        assert_eq!(long_from_le(&[0x80, 0x00]), Object::Int(128));
        assert!(matches!(long_from_le(&[1; 10]), Object::Long(_)));
    }

    #[test]
    fn rejects_globals_outside_the_allow_list() {
        for (module, name) in [("os", "system"), ("builtins", "eval"), ("posix", "system")] {
            let mut p = vec![PROTO, 2, GLOBAL];
            p.extend(format!("{module}\n{name}\n").bytes());
            p.push(STOP);
            let err = run(&p).unwrap_err();
            assert!(err.contains(&format!("`{module}.{name}`")), "{err}");
            assert!(err.contains("byte 2"), "{err}");
        }
    }

    #[test]
    fn stack_global_resolves_allowed_names() {
        let mut p = vec![PROTO, 4, SHORT_BINUNICODE, 5];
        p.extend(b"torch");
        p.extend([SHORT_BINUNICODE, 12]);
        p.extend(b"FloatStorage");
        p.extend([STACK_GLOBAL, MEMOIZE, STOP]);
        let u = run(&p).unwrap();
        assert!(
            matches!(u.get(u.root), Object::Global(Global::Storage(t)) if t.dtype == Some(Dtype::F32))
        );
    }

    #[test]
    fn bounds_are_enforced() {
        // A string longer than the input.
        let p = [PROTO, 2, BINUNICODE, 0xff, 0xff, 0xff, 0x7f, b'a'];
        assert!(run(&p).unwrap_err().contains("ends inside the pickle"));
        // Unbalanced structure.
        assert!(run(&[PROTO, 2, STOP]).unwrap_err().contains("underflow"));
        assert!(run(&[PROTO, 2, TUPLE]).unwrap_err().contains("MARK"));
        assert!(
            run(&[PROTO, 2, LONG_BINGET, 0xff, 0xff, 0xff, 0xff])
                .unwrap_err()
                .contains("memo index 4294967295")
        );
        // Deep MARK nesting.
        let mut p = vec![PROTO, 2];
        p.extend(std::iter::repeat_n(MARK, MAX_MARKS + 1));
        assert!(run(&p).unwrap_err().contains("nested"));
        // Too deep a stack.
        let mut p = vec![PROTO, 2];
        p.extend(std::iter::repeat_n(NONE, MAX_STACK + 1));
        assert!(run(&p).unwrap_err().contains("stack deeper"));
        // Values may not be popped across a MARK.
        assert!(
            run(&[PROTO, 2, NONE, MARK, STOP])
                .unwrap_err()
                .contains("underflow")
        );
    }

    #[test]
    fn reduce_only_records_allowed_calls() {
        let mut p = vec![PROTO, 2, GLOBAL];
        p.extend(b"torch._utils\n_rebuild_parameter\n");
        p.extend([NONE, TUPLE1, REDUCE, STOP]);
        let u = run(&p).unwrap();
        assert!(matches!(
            u.get(u.root),
            Object::Call {
                func: Global::RebuildParameter,
                ..
            }
        ));
        // REDUCE on something that is not a global.
        let p = [PROTO, 2, NONE, EMPTY_TUPLE, REDUCE, STOP];
        assert!(run(&p).unwrap_err().contains("not an allowed callable"));
    }
}
