use nalgebra::DMatrix;
use sgd_playground::model::*;
use sgd_playground::solver::*;
#[test]
fn smoke() {
    let k = DMatrix::from_row_slice(2,2,&[1.0,0.3,0.3,0.5]);
    let c = DMatrix::from_row_slice(2,2,&[1.0,-0.2,-0.2,0.7]);
    for opt in [Optimizer::Sgd{learning_rate:1.2}, Optimizer::Momentum{learning_rate:1.2,momentum:0.5}, Optimizer::QuasiHyperbolic{learning_rate:1.2,momentum:0.5,nu:0.7}, Optimizer::Nesterov{learning_rate:0.9,momentum:0.5}, Optimizer::DampedNewton{learning_rate:1.5,momentum:0.3}, Optimizer::Preconditioned{preconditioner: DMatrix::from_row_slice(2,2,&[1.0,0.2,0.2,0.8]), momentum:0.3}] {
        let p = Problem::new(Some(k.clone()), Noise::Gaussian{covariance:c.clone()}, opt.clone()).unwrap();
        let s = stationary(&p).unwrap();
        let sys = reference::AugmentedSystem::new(&p, s.preconditioner.as_ref()).unwrap();
        let q = sys.noise_input(&c);
        let r = reference::lyapunov_kronecker(&sys.transition, &q).unwrap();
        let sm = reference::lyapunov_smith(&sys.transition, &q, 60).unwrap();
        let e1 = (&r - &s.state_covariance).amax();
        let e2 = (&sm - &s.state_covariance).amax();
        let t = transient(&p, 1_000_000, &InitialState::default()).unwrap();
        let e3 = (&t.state_covariance - &s.state_covariance).amax();
        println!("{} {e1:e} {e2:e} {e3:e} {}", opt.name(), s.stability.spectral_radius);
        assert!(e1 < 1e-10 && e2 < 1e-10 && e3 < 1e-9);
    }
    let p = Problem::new(Some(k.clone()), Noise::Gaussian{covariance:c.clone()}, Optimizer::NaturalGradient{learning_rate:1.0,momentum:0.2}).unwrap();
    let s = stationary(&p).unwrap(); println!("ngd {}", s.sigma);
    let data = RegressionData::generate(1000, 1, &[1.0], &[1.0], 1.0).unwrap();
    let p = Problem::new(None, Noise::Minibatch(Box::new(Minibatch{data, batch_size:100, with_replacement:true})), Optimizer::Momentum{learning_rate: 2.75/2.0, momentum:0.9}).unwrap();
    match stationary(&p) { Ok(s) => println!("batch {} x {} thr {}", s.sigma, s.stability.effective_curvature, s.stability.threshold), Err(e) => println!("{e}") }
    let t = transient(&p, 3000, &InitialState::default()).unwrap(); println!("transient {}", t.sigma);
}
