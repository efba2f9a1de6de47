//! Small dense linear-algebra helpers on top of nalgebra: symmetric eigen-decompositions and
//! functions of symmetric matrices.

use nalgebra::{DMatrix, DVector};

/// Eigen-decomposition of a symmetric matrix, M = V diag(values) Vᵀ with orthonormal V.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetricEigen {
    /// Eigenvalues (in nalgebra's order, not sorted).
    pub values: DVector<f64>,
    /// Orthonormal eigenvectors, one per column.
    pub vectors: DMatrix<f64>,
}

impl SymmetricEigen {
    /// Decomposes the symmetric part of `m`.
    pub fn new(m: &DMatrix<f64>) -> Self {
        let symmetric = (m + m.transpose()) * 0.5;
        let eigen = nalgebra::SymmetricEigen::new(symmetric);
        Self {
            values: eigen.eigenvalues,
            vectors: eigen.eigenvectors,
        }
    }

    /// f(M) = V diag(f(values)) Vᵀ.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> DMatrix<f64> {
        let scaled = DMatrix::from_fn(self.vectors.nrows(), self.vectors.ncols(), |i, j| {
            self.vectors[(i, j)] * f(self.values[j])
        });
        let out = scaled * self.vectors.transpose();
        symmetrize(&out)
    }

    /// Vᵀ X V: a matrix written in the eigenbasis.
    pub fn to_eigenbasis(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        self.vectors.transpose() * x * &self.vectors
    }

    /// V X Vᵀ: back from the eigenbasis.
    pub fn from_eigenbasis(&self, x: &DMatrix<f64>) -> DMatrix<f64> {
        &self.vectors * x * self.vectors.transpose()
    }
}

/// (M + Mᵀ)/2.
pub fn symmetrize(m: &DMatrix<f64>) -> DMatrix<f64> {
    (m + m.transpose()) * 0.5
}

/// Largest |entry| of a matrix, 0 for an empty one.
pub fn max_abs(m: &DMatrix<f64>) -> f64 {
    m.iter().fold(0.0_f64, |acc, v| acc.max(v.abs()))
}

/// Smallest eigenvalue of the symmetric part of `m`.
pub fn min_symmetric_eigenvalue(m: &DMatrix<f64>) -> f64 {
    symmetrize(m).symmetric_eigenvalues().min()
}
