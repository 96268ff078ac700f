//! The pickle of a state dict, opcode for opcode as `torch.save` writes it (protocol 2, the
//! default of `torch.save`; checked against `tests/fixtures/lowrank_n64_r2.pt`, which our writer
//! reproduces byte for byte).
//!
//! The object pickled is
//!
//! ```text
//! OrderedDict([(key, _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())), ...])
//! ```
//!
//! with `_metadata = OrderedDict([('', {'version': 1})])` set by `BUILD` (what `Module.state_dict()`
//! attaches; `load_state_dict` reads it), each storage the persistent id
//! `('storage', torch.FloatStorage | torch.DoubleStorage, '<index>', 'cpu', numel)`. Only the names
//! `torch.load(weights_only=True)` allows appear: `collections.OrderedDict`,
//! `torch._utils._rebuild_tensor_v2` and the two storage types.
//!
//! Python's pickler memoizes every string, non-empty tuple, global and reduced object as it first
//! writes it (`BINPUT`) and refers to an object met again by its memo index (`BINGET`); the
//! strings `'storage'` and `'cpu'` and the globals are such shared objects, so they are written
//! once. Doing the same keeps the output identical to torch's.

use std::collections::HashMap;

use super::opcodes::*;
use super::tensor::Dtype;

/// One tensor of the state dict: a contiguous row-major view of the whole storage `storage_key`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TensorEntry<'a> {
    pub key: &'a str,
    pub storage_key: &'a str,
    pub shape: &'a [usize],
    pub dtype: Dtype,
}

/// The pickle (`data.pkl`) of the state dict `entries`, in their order.
///
/// Errors if a size exceeds what a `BININT` holds (2^31 - 1; torch would switch to `LONG1`), which
/// no tensor within the network limits reaches.
pub(crate) fn state_dict_pickle(entries: &[TensorEntry]) -> Result<Vec<u8>, String> {
    let mut p = Pickler::default();
    p.out.extend([PROTO, 2]);
    p.ordered_dict();
    p.setitems(entries.len(), |p, i| p.tensor(&entries[i]))?;
    // The state dict's `__dict__`: {'_metadata': OrderedDict([('', {'version': 1})])}.
    p.out.push(EMPTY_DICT);
    p.put();
    p.unicode("_metadata");
    p.ordered_dict();
    p.unicode("");
    p.out.push(EMPTY_DICT);
    p.put();
    p.unicode("version");
    p.int(1)?;
    p.out.extend([SETITEM, SETITEM, SETITEM, BUILD, STOP]);
    Ok(p.out)
}

/// The output and memo of a pickler.
#[derive(Default)]
struct Pickler {
    out: Vec<u8>,
    /// Memo entries written so far.
    memo_len: u32,
    /// Memo index of each shared object already written (globals by `module.name`, and the
    /// strings `'storage'` and `'cpu'`).
    shared: HashMap<String, u32>,
}

impl Pickler {
    /// Memoizes the object just written (`BINPUT`, or `LONG_BINPUT` past 255 entries).
    fn put(&mut self) -> u32 {
        let index = self.memo_len;
        match u8::try_from(index) {
            Ok(small) => self.out.extend([BINPUT, small]),
            Err(_) => {
                self.out.push(LONG_BINPUT);
                self.out.extend(index.to_le_bytes());
            }
        }
        self.memo_len += 1;
        index
    }

    fn get(&mut self, index: u32) {
        match u8::try_from(index) {
            Ok(small) => self.out.extend([BINGET, small]),
            Err(_) => {
                self.out.push(LONG_BINGET);
                self.out.extend(index.to_le_bytes());
            }
        }
    }

    /// Writes the shared object `name` with `write` the first time, by its memo index after.
    fn shared(&mut self, name: &str, write: impl FnOnce(&mut Self)) {
        match self.shared.get(name) {
            Some(&index) => self.get(index),
            None => {
                write(self);
                let index = self.put();
                self.shared.insert(name.to_owned(), index);
            }
        }
    }

    fn global(&mut self, module: &str, name: &str) {
        self.shared(&format!("{module}.{name}"), |p| {
            p.out.push(GLOBAL);
            p.out.extend(module.as_bytes());
            p.out.push(b'\n');
            p.out.extend(name.as_bytes());
            p.out.push(b'\n');
        });
    }

    /// A new empty `OrderedDict()`: the global called with no arguments.
    fn ordered_dict(&mut self) {
        self.global("collections", "OrderedDict");
        self.out.extend([EMPTY_TUPLE, REDUCE]);
        self.put();
    }

    /// A fresh string object (memoized).
    fn unicode(&mut self, s: &str) {
        self.out.push(BINUNICODE);
        // Keys come from our own state dicts: a handful of bytes.
        self.out.extend((s.len() as u32).to_le_bytes());
        self.out.extend(s.as_bytes());
        self.put();
    }

    /// An interned string: written once, then referred to.
    fn shared_unicode(&mut self, s: &str) {
        self.shared(&format!("str:{s}"), |p| {
            p.out.push(BINUNICODE);
            p.out.extend((s.len() as u32).to_le_bytes());
            p.out.extend(s.as_bytes());
        });
    }

    /// A non-negative int in the smallest of `BININT1`, `BININT2`, `BININT`, as Python picks.
    fn int(&mut self, value: usize) -> Result<(), String> {
        if let Ok(v) = u8::try_from(value) {
            self.out.extend([BININT1, v]);
        } else if let Ok(v) = u16::try_from(value) {
            self.out.push(BININT2);
            self.out.extend(v.to_le_bytes());
        } else if let Ok(v) = i32::try_from(value) {
            self.out.push(BININT);
            self.out.extend(v.to_le_bytes());
        } else {
            return Err(format!(
                "{value} is too large for this writer (at most {})",
                i32::MAX
            ));
        }
        Ok(())
    }

    /// A tuple of ints: `EMPTY_TUPLE` (not memoized), `TUPLE1..3`, or `MARK ... TUPLE`.
    fn int_tuple(&mut self, values: &[usize]) -> Result<(), String> {
        if values.is_empty() {
            self.out.push(EMPTY_TUPLE);
            return Ok(());
        }
        if values.len() > 3 {
            self.out.push(MARK);
        }
        for &v in values {
            self.int(v)?;
        }
        self.out.push(match values.len() {
            1 => TUPLE1,
            2 => TUPLE2,
            3 => TUPLE3,
            _ => TUPLE,
        });
        self.put();
        Ok(())
    }

    /// The items of a dict being built, as Python's `_batch_setitems` writes them: one item is a
    /// bare `SETITEM`, several are `MARK ... SETITEMS` (in batches of 1000). `item(p, i)` writes
    /// the key and value of item `i`.
    fn setitems(
        &mut self,
        len: usize,
        mut item: impl FnMut(&mut Self, usize) -> Result<(), String>,
    ) -> Result<(), String> {
        const BATCH: usize = 1000;
        for start in (0..len).step_by(BATCH) {
            let end = (start + BATCH).min(len);
            if end - start == 1 {
                item(self, start)?;
                self.out.push(SETITEM);
                continue;
            }
            self.out.push(MARK);
            for i in start..end {
                item(self, i)?;
            }
            self.out.push(SETITEMS);
        }
        Ok(())
    }

    /// `key, _rebuild_tensor_v2((storage pid), 0, size, stride, False, OrderedDict())`.
    fn tensor(&mut self, t: &TensorEntry) -> Result<(), String> {
        let numel = t.shape.iter().product();
        // Row-major (contiguous) strides: stride[d] = product of the sizes after d.
        let mut strides = vec![1usize; t.shape.len()];
        for d in (0..t.shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * t.shape[d + 1];
        }
        let storage_type = match t.dtype {
            Dtype::F32 => "FloatStorage",
            Dtype::F64 => "DoubleStorage",
        };
        self.unicode(t.key);
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.out.push(MARK);
        // The persistent id ('storage', <type>, key, 'cpu', numel).
        self.out.push(MARK);
        self.shared_unicode("storage");
        self.global("torch", storage_type);
        self.unicode(t.storage_key);
        self.shared_unicode("cpu");
        self.int(numel)?;
        self.out.push(TUPLE);
        self.put();
        self.out.push(BINPERSID);
        // Storage offset, size, stride, requires_grad, backward hooks.
        self.int(0)?;
        self.int_tuple(t.shape)?;
        self.int_tuple(&strides)?;
        self.out.push(NEWFALSE);
        self.ordered_dict();
        self.out.push(TUPLE);
        self.put();
        self.out.push(REDUCE);
        self.put();
        Ok(())
    }
}
