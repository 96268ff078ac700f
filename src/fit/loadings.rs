//! The loadings matrix of MODEL.md 5 step 2: one row per neuron, its loading vector
//! `(m_1..m_R, n_1..n_R, I_1..I_S, w_1..w_O)` in the order of MODEL.md 4, with the effective
//! (gain-scaled) vectors `I_s = wi[s] si[s]` and `w_o = wo[:, o] so[o]`; and its inverse, the network
//! whose loadings are a given matrix.

use nalgebra::{DMatrix, DVector};

use crate::network::{Network, NetworkError, NetworkParts};
use crate::reduced::ModelDims;

/// The population-model dimensions of a network: its rank, inputs and outputs.
pub fn model_dims(net: &Network) -> ModelDims {
    let d = net.dims();
    ModelDims {
        rank: d.rank,
        inputs: d.inputs,
        outputs: d.outputs,
    }
}

/// The `N x (2R + S + O)` loadings of `net`, after the SVD re-parametrisation of MODEL.md 2 if `svd`
/// (`m = U_R sqrt(S_R)`, `n = V_R sqrt(S_R)`, signs such that `sum_i m_ir > 0`), as the papers do
/// before fitting: the re-parametrisation leaves the dynamics unchanged but makes the latent axes
/// orthogonal and unique, so that the fitted covariances are comparable between networks.
///
/// Fails only if the SVD factors overflow ([`Network::svd_reparametrised`]).
pub fn loadings(net: &Network, svd: bool) -> Result<DMatrix<f64>, NetworkError> {
    let reparametrised;
    let net = if svd {
        reparametrised = net.svd_reparametrised()?;
        &reparametrised
    } else {
        net
    };
    let d = net.dims();
    let (r, s, o) = (d.rank, d.inputs, d.outputs);
    let mut x = DMatrix::zeros(d.neurons, 2 * r + s + o);
    x.columns_mut(0, r).copy_from(net.m());
    x.columns_mut(r, r).copy_from(net.n());
    x.columns_mut(2 * r, s).copy_from(net.input_vectors());
    x.columns_mut(2 * r + s, o).copy_from(net.readout_vectors());
    Ok(x)
}

/// The network whose loadings ([`loadings`] without SVD) are the rows of `x`: `m, n, I, w` taken
/// from the column blocks of MODEL.md 4, unit gains `si = so = 1` (the loadings are already the
/// effective vectors), `h0 = 0`, no bias.
///
/// # Panics
/// If `x` does not have `dims.loadings()` columns (a programming error: callers build `x` from `dims`).
pub fn network_from_loadings(x: &DMatrix<f64>, dims: ModelDims) -> Result<Network, NetworkError> {
    assert_eq!(x.ncols(), dims.loadings(), "loadings are not N x (2R+S+O)");
    let (r, s, o) = (dims.rank, dims.inputs, dims.outputs);
    let block = |start: usize, width: usize| x.columns(start, width).into_owned();
    Network::new(NetworkParts {
        m: block(0, r),
        n: block(r, r),
        wi: block(2 * r, s).transpose(),
        si: DVector::from_element(s, 1.0),
        wo: block(2 * r + s, o),
        so: DVector::from_element(o, 1.0),
        h0: DVector::zeros(x.nrows()),
        b: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net() -> Network {
        let nn = 6;
        let f = |i: usize, j: usize, k: f64| ((i * 7 + j * 3) as f64 * k).sin();
        Network::new(NetworkParts {
            wi: DMatrix::from_fn(2, nn, |s, i| f(i, s, 0.7)),
            si: DVector::from_vec(vec![2.0, -0.5]),
            m: DMatrix::from_fn(nn, 2, |i, r| f(i, r, 1.1) + 0.3),
            n: DMatrix::from_fn(nn, 2, |i, r| f(i, r, 1.9)),
            wo: DMatrix::from_fn(nn, 1, |i, _| f(i, 5, 0.3)),
            so: DVector::from_vec(vec![3.0]),
            h0: DVector::zeros(nn),
            b: None,
        })
        .unwrap()
    }

    #[test]
    fn columns_follow_model_order_with_gain_scaled_inputs_and_readouts() {
        let net = net();
        let p = net.parts();
        let x = loadings(&net, false).unwrap();
        assert_eq!(x.shape(), (6, 7));
        for i in 0..6 {
            let expected = [
                p.m[(i, 0)],
                p.m[(i, 1)],
                p.n[(i, 0)],
                p.n[(i, 1)],
                p.wi[(0, i)] * 2.0,
                p.wi[(1, i)] * -0.5,
                p.wo[(i, 0)] * 3.0,
            ];
            assert_eq!(x.row(i).iter().copied().collect::<Vec<_>>(), expected);
        }
        // The inverse gives back a network with the same effective vectors (unit gains).
        let back = network_from_loadings(&x, model_dims(&net)).unwrap();
        assert_eq!(loadings(&back, false).unwrap(), x);
        assert_eq!(back.parts().si.as_slice(), &[1.0, 1.0]);
    }

    #[test]
    fn svd_loadings_preserve_the_connectivity_and_orthogonalise_the_axes() {
        let net = net();
        let x = loadings(&net, true).unwrap();
        let (m, n) = (x.columns(0, 2), x.columns(2, 2));
        let before = net.m() * net.n().transpose();
        assert!((m * n.transpose() - before).amax() < 1e-12);
        assert!((m.transpose() * m)[(0, 1)].abs() < 1e-12);
        assert!(m.column(0).sum() > 0.0 && m.column(1).sum() > 0.0);
        // Inputs and readout are untouched by the re-parametrisation.
        assert_eq!(
            x.columns(4, 3),
            loadings(&net, false).unwrap().columns(4, 3)
        );
    }
}
