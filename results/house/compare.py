import json,sys,os
b,a=sys.argv[1],sys.argv[2]
for name in sorted(os.listdir(b)):
    pb=os.path.join(b,name,'results.json'); pa=os.path.join(a,name,'results.json')
    if not os.path.exists(pb) or not os.path.exists(pa):
        continue
    rb,ra=json.load(open(pb)),json.load(open(pa))
    keys=[k for k in ('validation','test','held_out','steps','best_step','sequences','tokens') if k in rb or k in ra]
    same=all(rb.get(k)==ra.get(k) for k in keys)
    cb=json.dumps(rb.get('config'),sort_keys=True); ca=json.dumps(ra.get('config'),sort_keys=True)
    # init paths differ (dirs); normalise
    cb=cb.replace(b,'X'); ca=ca.replace(a,'X')
    cfg_same = cb==ca
    # logits
    lb=os.path.join(b,name,'logits.json'); la=os.path.join(a,name,'logits.json')
    log_same = (open(lb).read()==open(la).read()) if os.path.exists(lb) and os.path.exists(la) else None
    cfgj_same = open(os.path.join(b,name,'config.json')).read().replace(b,'X')==open(os.path.join(a,name,'config.json')).read().replace(a,'X')
    print(f"{name:22s} metrics {'IDENTICAL' if same else 'DIFFER'}  results.config {'same' if cfg_same else 'DIFF'}  config.json {'same' if cfgj_same else 'DIFF'}  logits.json {log_same}")
    if not same:
        for k in keys:
            if rb.get(k)!=ra.get(k): print('   ',k,rb.get(k),'\n    ->',ra.get(k))
